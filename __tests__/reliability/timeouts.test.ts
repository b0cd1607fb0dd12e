import { Client } from 'pg';
import { z } from 'zod';

import { SecretStoreError } from '../../src';
import { useScratchStore } from './support/scratch-store';
import { waitUntil, withinDeadline } from './support/watchdog';

const Token = z.object({ token: z.string() });

const exhaustible = useScratchStore({ max: 1, connectionTimeoutMillis: 200 });
const impatient = useScratchStore({ statementTimeoutMillis: 200 });

/** What `call` rejected with; a call that resolves instead fails the test. */
function rejection(call: Promise<unknown>, what: string): Promise<unknown> {
  return withinDeadline(what, call).then(
    () => {
      throw new Error(`${what} resolved; it should have failed`);
    },
    (error: unknown) => error,
  );
}

test('an exhausted pool fails a read with CONNECTION_ACQUIRE_TIMEOUT, and the store works once a connection is free', async () => {
  const { store } = exhaustible();
  await withinDeadline('setSecret', store.setSecret('pool.held', { token: 'before' }));

  // A transaction of the store itself holds the pool's only connection until the test lets it finish.
  let letGo = (): void => undefined;
  const blocker = new Promise<void>((resolve) => (letGo = resolve));
  let holding = false;
  const transaction = store.transaction(async (tx) => {
    await tx.setSecret('pool.held', { token: 'after' });
    holding = true;
    await blocker;
  });
  try {
    await waitUntil('the transaction to take the connection', () => holding, 10_000);
    const error = await rejection(store.getSecret(Token, 'pool.held'), 'getSecret on an exhausted pool');
    expect(error).toBeInstanceOf(SecretStoreError);
    expect({ name: (error as Error).name, code: (error as SecretStoreError).code }).toEqual({
      name: 'ConnectionAcquireTimeoutError',
      code: 'CONNECTION_ACQUIRE_TIMEOUT',
    });
  } finally {
    letGo();
    await withinDeadline('the holding transaction', transaction);
  }

  expect(await withinDeadline('getSecret', store.getSecret(Token, 'pool.held'))).toEqual({ token: 'after' });
});

test('a write blocked past statementTimeoutMillis fails with STATEMENT_TIMEOUT naming no value, and succeeds once unblocked', async () => {
  const { store, database } = impatient();
  await withinDeadline('setSecret', store.setSecret('locked.row', { token: 'initial' }));

  const marker = `marker-${Math.random().toString(36).slice(2)}`;
  const blocked = { token: marker };
  const admin = new Client({ connectionString: database.url, application_name: 'reliability-locker' });
  await admin.connect();
  try {
    await admin.query('BEGIN');
    await admin.query('SELECT key FROM secret_store WHERE key = $1 FOR UPDATE', ['locked.row']);

    const error = await rejection(store.setSecret('locked.row', blocked), 'setSecret on a locked row');
    expect(error).toBeInstanceOf(SecretStoreError);
    expect({ name: (error as Error).name, code: (error as SecretStoreError).code }).toEqual({
      name: 'StatementTimeoutError',
      code: 'STATEMENT_TIMEOUT',
    });
    const told = `${(error as Error).message}\n${(error as Error).stack}`;
    expect(told.includes(marker)).toBe(false);
    expect(told.includes(JSON.stringify(blocked))).toBe(false);
    expect(await withinDeadline('getSecret', store.getSecret(Token, 'locked.row'))).toEqual({ token: 'initial' });
  } finally {
    await admin.query('ROLLBACK');
    await admin.end();
  }

  expect(await withinDeadline('setSecret', store.setSecret('locked.row', blocked))).toEqual({ version: 2 });
  expect(await withinDeadline('getSecret', store.getSecret(Token, 'locked.row'))).toEqual(blocked);
});

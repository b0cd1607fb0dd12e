/**
 * The change feed: every committed change, after commit, never a value, from migration 005's statement-level
 * triggers, on a real PostgreSQL and on PGlite (in-process LISTEN/NOTIFY).
 */
import { Client } from 'pg';

import {
  PostgresSecretStoreRepository,
  SecretStore,
  type SecretChangeEvent,
  type SecretStoreConfigError,
} from '../../src';
import { useTestDatabase } from '../harness/database';
import { eventually } from '../support/eventually';
import { testKeyring } from '../support/test-keyring';

const testDatabase = useTestDatabase();
const keyring = testKeyring();
const opened: SecretStore[] = [];

function store(): SecretStore {
  const { handle, directUrl } = testDatabase();
  const repository = new PostgresSecretStoreRepository(
    handle,
    directUrl ? { listen: { connectionString: directUrl } } : {},
  );
  const made = new SecretStore(repository, { encryption: keyring });
  opened.push(made);
  return made;
}

beforeEach(() => testDatabase().reset());
afterEach(async () => {
  await Promise.all(opened.splice(0).map((made) => made.close()));
});

/** Collects a watcher's events. */
async function watching(
  on: SecretStore,
  prefix?: string,
): Promise<{ events: SecretChangeEvent[]; stop: () => Promise<void> }> {
  const events: SecretChangeEvent[] = [];
  const stop = await on.watch(prefix === undefined ? {} : { prefix }, (event) => events.push(event));
  return { events, stop };
}

describe('watch', () => {
  it('tells every kind of change, in commit order, under its prefix only, and never a value', async () => {
    const watcher = store();
    const writer = store();
    const { events, stop } = await watching(watcher, 'app/');
    await writer.setSecret('app/a', { token: 'value-never-told' });
    await writer.setSecret('other/b', { n: 1 });
    await writer.setSecret('app/a', { n: 2 });
    await writer.updateSecretMetadata('app/a', { description: 'd' });
    await writer.deleteSecret('app/a');
    await writer.undeleteSecret('app/a');
    await writer.destroySecret('app/a', { versions: [2] });
    await writer.setSecrets([
      { key: 'app/c', value: { n: 1 } },
      { key: 'app/b', value: { n: 1 } },
    ]);
    await writer.deleteSecret('app/b');
    await writer.purgeDeletedSecrets({ olderThan: 0 });
    await writer.destroySecret('app/c');
    await writer.transaction(async (tx) => {
      await tx.setSecret('app/rolled-back', { n: 1 });
      await tx.setSecret('app/committed', { n: 1 });
    });
    await expect(
      writer.transaction(async (tx) => {
        await tx.setSecret('app/rolled-back', { n: 1 });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    await writer.setSecret('app/last', { n: 1 });

    await eventually('every change is told', async () =>
      events.some((event) => event.type === 'change' && event.key === 'app/last') ? true : undefined,
    );
    expect(
      events.map((event) => (event.type === 'change' ? `${event.operation} ${event.key} ${event.version}` : 'resync')),
    ).toEqual([
      'set app/a 1',
      'set app/a 2',
      'metadata app/a 2',
      'delete app/a 2',
      'undelete app/a 2',
      'destroy app/a 2',
      'set app/b 1',
      'set app/c 1',
      'delete app/b 1',
      'purge app/b 1',
      'destroy app/c 1',
      // One transaction: told after its commit, once per statement, and the rolled-back one never.
      'set app/rolled-back 1',
      'set app/committed 1',
      'set app/last 1',
    ]);
    expect(JSON.stringify(events)).not.toContain('value-never-told');
    await stop();
  });

  it('stops with its unsubscribe function, and a listener that throws does not stop the feed', async () => {
    const writer = store();
    const watcher = store();
    const seen: string[] = [];
    const stopThrowing = await watcher.watch({}, () => {
      throw new Error('listener failure');
    });
    const stop = await watcher.watch({}, (event) => {
      if (event.type === 'change') seen.push(event.key);
    });
    await writer.setSecret('k1', { n: 1 });
    await eventually('k1 is told', async () => (seen.includes('k1') ? true : undefined));
    await stop();
    await writer.setSecret('k2', { n: 1 });
    await writer.setSecret('k3', { n: 1 });
    // A third watcher sees k3; the stopped one saw nothing after k1.
    const { events, stop: stopLast } = await watching(watcher);
    await writer.setSecret('k4', { n: 1 });
    await eventually('k4 is told', async () => (events.length > 0 ? true : undefined));
    expect(seen).toEqual(['k1']);
    await Promise.all([stopThrowing(), stopLast()]);
  });

  it('has an async-iterator form that ends with return (break), with the signal, or with the store', async () => {
    const watcher = store();
    const writer = store();
    /** Writes under `prefix` until the iterator, listening from its first next(), yields. */
    async function firstOf(iterator: AsyncGenerator<SecretChangeEvent, void>, key: string) {
      let got: IteratorResult<SecretChangeEvent, void> | undefined;
      void iterator.next().then((result) => (got = result));
      return eventually('the iterator yields', async () => {
        if (got) return got;
        await writer.setSecret(key, { n: 1 });
        return undefined;
      });
    }

    const iterator = watcher.changes({ prefix: 'it/' });
    expect(await firstOf(iterator, 'it/first')).toMatchObject({
      done: false,
      value: { type: 'change', key: 'it/first' },
    });
    await writer.setSecret('out/side', { n: 1 });
    await writer.setSecret('it/second', { n: 1 });
    let next = await iterator.next();
    while (!next.done && next.value.type === 'change' && next.value.key === 'it/first') next = await iterator.next();
    expect(next).toMatchObject({ done: false, value: { type: 'change', key: 'it/second', operation: 'set' } });
    expect(await iterator.return(undefined)).toEqual({ done: true, value: undefined });

    const aborter = new AbortController();
    const aborted = watcher.changes({ signal: aborter.signal });
    await firstOf(aborted, 'it/aborted');
    const pending = aborted.next();
    aborter.abort();
    expect(await pending).toEqual({ done: true, value: undefined });

    const closing = watcher.changes();
    await firstOf(closing, 'it/closing');
    const waiting = closing.next();
    await watcher.close();
    // Events already buffered may come first; the iteration then ends.
    let last = await waiting;
    while (!last.done) last = await closing.next();
    expect(last).toEqual({ done: true, value: undefined });
  });

  it('refuses a bad prefix, a missing listener, and a transaction’s store', async () => {
    const watcher = store();
    await expect(watcher.watch({ prefix: 7 as unknown as string }, () => undefined)).rejects.toMatchObject({
      code: 'INVALID_SECRET_KEY',
    });
    await expect(watcher.watch({}, undefined as unknown as () => void)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await watcher.transaction(async (tx) => {
      await expect(tx.watch({}, () => undefined)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });
    const single = { query: (text: string, values?: unknown[]) => testDatabase().database.query(text, values) };
    const unable = new SecretStore(new PostgresSecretStoreRepository(single), { encryption: keyring });
    await expect(unable.watch({}, () => undefined)).rejects.toMatchObject<Partial<SecretStoreConfigError>>({
      code: 'INVALID_CONFIGURATION',
    });
  });
});

describe('notifications', () => {
  it('tell every change of one transaction, even one that repeats an earlier one, and a TRUNCATE as a resync', async () => {
    const writer = store();
    const { events, stop } = await watching(store(), 'tx/');
    await writer.setSecret('tx/a', { n: 1 });
    await writer.transaction(async (tx) => {
      await tx.deleteSecret('tx/a');
      await tx.undeleteSecret('tx/a');
      await tx.deleteSecret('tx/a');
    });
    await writer.setSecret('tx/last', { n: 1 });
    await eventually('the last write is told', async () => (events.length >= 5 ? true : undefined));
    expect(events.map((event) => (event.type === 'change' ? `${event.operation} ${event.key}` : 'resync'))).toEqual([
      'set tx/a',
      'delete tx/a',
      'undelete tx/a',
      'delete tx/a',
      'set tx/last',
    ]);
    await testDatabase().database.query('TRUNCATE secret_store CASCADE');
    await eventually('the truncate is told', async () => (events.at(-1)?.type === 'resync' ? true : undefined));
    await stop();
  });

  it('are sent once per statement: a bulk write of 10,000 secrets sends a few, and every key is told', async () => {
    const writer = store();
    const watcher = store();
    const { events, stop } = await watching(watcher, 'bulk/');
    let notifications = 0;
    let listener: Client | undefined;
    if (testDatabase().mode === 'server') {
      listener = new Client({ connectionString: testDatabase().directUrl });
      await listener.connect();
      listener.on('notification', () => notifications++);
      await listener.query('LISTEN secretstore_changes');
    }
    await writer.setSecrets(Array.from({ length: 10_000 }, (_, index) => ({ key: `bulk/${index}`, value: { index } })));
    await eventually('every key is told', async () => (events.length === 10_000 ? true : undefined), 30_000);
    expect(new Set(events.map((event) => (event.type === 'change' ? event.key : ''))).size).toBe(10_000);
    if (listener !== undefined) {
      // Each payload holds up to 7,000 bytes of [key, version, operation] (about 25 bytes each here).
      expect(notifications).toBeGreaterThan(1);
      expect(notifications).toBeLessThan(100);
      await listener.end();
    }
    await stop();
  }, 60_000);

  it('are not sent for a statement that changes nothing a reader sees', async () => {
    const writer = store();
    const { events, stop } = await watching(store());
    await writer.setSecret('same', { n: 1 });
    await testDatabase().database.query("UPDATE secret_store SET tags = tags WHERE key = 'same'");
    await writer.setSecret('after', { n: 1 });
    await eventually('after is told', async () => (events.length >= 2 ? true : undefined));
    expect(events.map((event) => (event.type === 'change' ? event.key : event.type))).toEqual(['same', 'after']);
    await stop();
  });
});

import { z } from 'zod';

import { anyJson, PostgresSecretStoreRepository, SecretStore, TransactionClosedError } from '../../src';
import { useTestDatabase } from '../harness/database';
import { expectRejection } from '../support/errors';
import { testKeyring } from '../support/test-keyring';

const testDatabase = useTestDatabase();
const Counter = z.object({ n: z.number() });
let store: SecretStore;

beforeAll(() => {
  store = new SecretStore(new PostgresSecretStoreRepository(testDatabase().handle), { encryption: testKeyring() });
});

beforeEach(() => testDatabase().reset());

async function keys(): Promise<string[]> {
  const { rows } = await testDatabase().database.query('SELECT key FROM secret_store ORDER BY key', []);
  return (rows as { key: string }[]).map((row) => row.key);
}

/** Every operation of a store, as a kept transaction store would be misused. */
const operations: [string, (tx: SecretStore) => unknown][] = [
  ['getSecret', (tx) => tx.getSecret(Counter, 'tx.a')],
  ['getSecretOrThrow', (tx) => tx.getSecretOrThrow(Counter, 'tx.a')],
  ['getSecretWithMetadata', (tx) => tx.getSecretWithMetadata(Counter, 'tx.a')],
  ['getSecrets', (tx) => tx.getSecrets(Counter, 'tx.')],
  ['getSecretsByKeys', (tx) => tx.getSecretsByKeys(Counter, ['tx.a'])],
  ['listSecrets', (tx) => tx.listSecrets('tx.')],
  ['setSecret', (tx) => tx.setSecret('tx.late', { n: 1 })],
  ['setSecrets', (tx) => tx.setSecrets([{ key: 'tx.late', value: { n: 1 } }])],
  ['deleteSecret', (tx) => tx.deleteSecret('tx.a')],
  ['encryptionUsage', (tx) => tx.encryptionUsage()],
  ['checkEncryptionKeys', (tx) => tx.checkEncryptionKeys()],
  ['rotateEncryptionKeys', (tx) => tx.rotateEncryptionKeys()],
  ['transaction', (tx) => tx.transaction(() => Promise.resolve())],
];

describe("a transaction's store after its transaction ended", () => {
  it.each(operations)('refuses %s with TRANSACTION_CLOSED after a commit, touching nothing', async (name, call) => {
    let kept: SecretStore | undefined;
    await store.transaction(async (tx) => {
      kept = tx;
      await tx.setSecret('tx.a', { n: 1 });
    });

    const error = await expectRejection(
      Promise.resolve().then(() => call(kept!)),
      TransactionClosedError,
      'TRANSACTION_CLOSED',
    );
    expect(error).toMatchObject({ operation: name });
    expect(await keys()).toEqual(['tx.a']);
    expect(await store.getSecret(Counter, 'tx.a')).toEqual({ n: 1 });
  });

  it('refuses after a rollback too', async () => {
    let kept: SecretStore | undefined;
    await expect(
      store.transaction(async (tx) => {
        kept = tx;
        await tx.setSecret('tx.a', { n: 1 });
        throw new Error('abandon');
      }),
    ).rejects.toThrow('abandon');

    await expect(kept!.setSecret('tx.b', { n: 2 })).rejects.toMatchObject({ code: 'TRANSACTION_CLOSED' });
    expect(await keys()).toEqual([]);
  });

  it("never writes into another caller's transaction on the connection it used", async () => {
    let kept: SecretStore | undefined;
    await store.transaction(async (tx) => {
      kept = tx;
      await tx.getSecrets(anyJson, 'tx.');
    });

    // Another transaction now holds a connection, possibly the very one the kept store used, and rolls back.
    const late = await store
      .transaction(async (other) => {
        await other.setSecret('tx.other', { n: 1 });
        const misuse = await kept!.setSecret('tx.intruder', { n: 666 }).catch((error: unknown) => error);
        throw misuse;
      })
      .catch((error: unknown) => error);

    expect(late).toMatchObject({ code: 'TRANSACTION_CLOSED' });
    expect(await keys()).toEqual([]);
  });

  it('keeps the store it came from working', async () => {
    await store.transaction(async (tx) => {
      await tx.setSecret('tx.a', { n: 1 });
    });
    await store.setSecret('tx.a', { n: 2 });
    expect(await store.getSecret(Counter, 'tx.a')).toEqual({ n: 2 });
  });

  it('refuses validateSecret too', async () => {
    let kept: SecretStore | undefined;
    await store.transaction(async (tx) => {
      kept = tx;
      expect(() => tx.validateSecret('tx.a', { n: 1 })).not.toThrow();
    });
    expect(() => kept!.validateSecret('tx.a', { n: 1 })).toThrow(TransactionClosedError);
  });
});

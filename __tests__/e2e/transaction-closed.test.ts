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

/** What any change would add to: kept versions, audit records and checkpoints. */
async function history(): Promise<unknown> {
  const { rows } = await testDatabase().database.query(
    `SELECT (SELECT count(*)::int FROM secret_versions) AS versions,
            (SELECT count(*)::int FROM secret_audit_log) AS audit,
            (SELECT count(*)::int FROM secret_audit_checkpoints) AS checkpoints,
            (SELECT count(*)::int FROM secret_store WHERE deleted_at IS NOT NULL) AS deleted`,
    [],
  );
  return rows[0];
}

/** Every operation of a store, as a kept transaction store would be misused. */
const operations: [string, (tx: SecretStore) => unknown][] = [
  ['getSecret', (tx) => tx.getSecret(Counter, 'tx.a')],
  ['getSecretOrThrow', (tx) => tx.getSecretOrThrow(Counter, 'tx.a')],
  ['getSecretWithMetadata', (tx) => tx.getSecretWithMetadata(Counter, 'tx.a')],
  ['getSecrets', (tx) => tx.getSecrets(Counter, 'tx.')],
  ['getSecretsByKeys', (tx) => tx.getSecretsByKeys(Counter, ['tx.a'])],
  ['listSecrets', (tx) => tx.listSecrets({ prefix: 'tx.' })],
  ['listSecretsDue', (tx) => tx.listSecretsDue({ within: 60_000 })],
  ['getSecretMetadata', (tx) => tx.getSecretMetadata('tx.a')],
  ['getSecretVersion', (tx) => tx.getSecretVersion(Counter, 'tx.a', 1)],
  ['listSecretVersions', (tx) => tx.listSecretVersions('tx.a')],
  ['setSecret', (tx) => tx.setSecret('tx.late', { n: 1 })],
  ['setSecrets', (tx) => tx.setSecrets([{ key: 'tx.late', value: { n: 1 } }])],
  ['restoreSecretVersion', (tx) => tx.restoreSecretVersion('tx.a', 1)],
  ['updateSecretMetadata', (tx) => tx.updateSecretMetadata('tx.a', { description: 'late' })],
  ['deleteSecret', (tx) => tx.deleteSecret('tx.a')],
  ['undeleteSecret', (tx) => tx.undeleteSecret('tx.a')],
  ['destroySecret', (tx) => tx.destroySecret('tx.a')],
  ['purgeDeletedSecrets', (tx) => tx.purgeDeletedSecrets({ olderThan: 0 })],
  ['readAuditTrail', (tx) => tx.readAuditTrail()],
  ['verifyAuditTrail', (tx) => tx.verifyAuditTrail()],
  ['sealAuditTrail', (tx) => tx.sealAuditTrail()],
  ['withActor', (tx) => tx.withActor('late-actor', () => tx.setSecret('tx.late', { n: 1 }))],
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
    const before = await history();

    const error = await expectRejection(
      Promise.resolve().then(() => call(kept!)),
      TransactionClosedError,
      'TRANSACTION_CLOSED',
    );
    expect(error).toMatchObject({ operation: name });
    expect(await keys()).toEqual(['tx.a']);
    expect(await history()).toEqual(before);
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

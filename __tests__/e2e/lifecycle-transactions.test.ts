/**
 * Every change of the lifecycle inside store.transaction() and inside a transaction the caller opened on its
 * own connection: committed, it leaves its versions, metadata and audit records; rolled back, it leaves none.
 */
import { z } from 'zod';

import { createSecretStore, PostgresSecretStoreRepository, SecretStore } from '../../src';
import { useTestDatabase } from '../harness/database';
import { testKeyring } from '../support/test-keyring';

const testDatabase = useTestDatabase();
const encryption = testKeyring();
const Counter = z.object({ n: z.number() });
let store: SecretStore;

beforeAll(() => {
  store = new SecretStore(new PostgresSecretStoreRepository(testDatabase().handle), { encryption });
});

beforeEach(async () => {
  await testDatabase().reset();
  await store.setSecret('lt.restored', { n: 1 });
  await store.setSecret('lt.restored', { n: 2 });
  await store.setSecret('lt.deleted', { n: 1 });
  await store.setSecret('lt.undeleted', { n: 1 });
  await store.deleteSecret('lt.undeleted');
  await store.setSecret('lt.destroyed', { n: 1 });
  await store.setSecret('lt.purged', { n: 1 });
  await store.deleteSecret('lt.purged');
});

/** Every table the lifecycle writes, as text: what a rolled-back transaction must leave exactly as it was. */
async function snapshot(): Promise<string[]> {
  const tables = ['secret_store', 'secret_versions', 'secret_audit_log', 'secret_audit_checkpoints'];
  const texts: string[] = [];
  for (const table of tables) {
    const { rows } = await testDatabase().database.query(
      `SELECT coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '') AS text FROM ${table} AS t`,
      [],
    );
    texts.push((rows[0] as { text: string }).text);
  }
  return texts;
}

/** Every kind of change, made through `tx`, by actor "tx-actor". */
async function changeEverything(tx: SecretStore): Promise<void> {
  await tx.withActor('tx-actor', async () => {
    await tx.setSecret('lt.new', { n: 1 }, { metadata: { description: 'new' } });
    await tx.setSecrets([{ key: 'lt.many', value: { n: 1 } }]);
    expect(await tx.restoreSecretVersion('lt.restored', 1)).toEqual({ version: 3 });
    expect(await tx.undeleteSecret('lt.undeleted')).toBe(true);
    // After the undelete and before the delete: it purges every secret deleted by then.
    expect(await tx.purgeDeletedSecrets({ olderThan: 0 })).toEqual({ purged: ['lt.purged'] });
    expect(await tx.deleteSecret('lt.deleted')).toBe(true);
    expect(await tx.destroySecret('lt.destroyed', { versions: [1] })).toEqual({ destroyed: [1] });
    await tx.updateSecretMetadata('lt.restored', { tags: { team: 'x' } });
    await tx.sealAuditTrail();
    // Inside, the transaction sees its own changes.
    expect(await tx.getSecret(Counter, 'lt.restored')).toEqual({ n: 1 });
    expect(await tx.getSecret(Counter, 'lt.deleted')).toBeUndefined();
    expect(await tx.getSecret(Counter, 'lt.undeleted')).toEqual({ n: 1 });
  });
}

const OPERATIONS = ['set', 'set-many', 'restore', 'undelete', 'purge', 'delete', 'destroy', 'update-metadata'];

async function expectEverythingChanged(reader: SecretStore): Promise<void> {
  expect(await reader.getSecret(Counter, 'lt.new')).toEqual({ n: 1 });
  expect(await reader.getSecret(Counter, 'lt.restored')).toEqual({ n: 1 });
  expect((await reader.listSecretVersions('lt.restored')).map(({ version }) => version)).toEqual([3, 2, 1]);
  expect(await reader.getSecret(Counter, 'lt.deleted')).toBeUndefined();
  expect(await reader.getSecret(Counter, 'lt.undeleted')).toEqual({ n: 1 });
  expect(await reader.getSecretVersion(Counter, 'lt.destroyed', 1)).toBeUndefined();
  expect(await reader.getSecretMetadata('lt.purged')).toBeUndefined();
  expect(await reader.getSecretMetadata('lt.restored')).toMatchObject({ tags: { team: 'x' } });
  const { records } = await reader.readAuditTrail();
  const mine = records.filter(({ actor }) => actor === 'tx-actor');
  expect(mine.map(({ operation }) => operation)).toEqual(OPERATIONS);
  expect(mine.every(({ checkpoint }) => checkpoint !== null)).toBe(true);
  expect(await reader.verifyAuditTrail()).toMatchObject({ ok: true, unsealed: 0 });
}

describe('the lifecycle inside store.transaction()', () => {
  it('commits every change with its versions, metadata and audit records', async () => {
    await store.transaction(changeEverything);
    await expectEverythingChanged(store);
  });

  it('leaves no version, metadata, audit record or checkpoint when the transaction rolls back', async () => {
    const before = await snapshot();
    const rollback = new Error('roll back');
    await expect(
      store.transaction(async (tx) => {
        await changeEverything(tx);
        throw rollback;
      }),
    ).rejects.toBe(rollback);
    expect(await snapshot()).toEqual(before);
    expect(await store.verifyAuditTrail()).toMatchObject({ ok: true });
  });
});

describe("the lifecycle inside the caller's own transaction", () => {
  it.each(['commit', 'rollback'] as const)('follows the caller (%s)', async (outcome) => {
    const before = await snapshot();
    await testDatabase().inCallerTransaction(outcome, async (connection) => {
      const inTransaction = await createSecretStore({ db: connection, encryption });
      await changeEverything(inTransaction);
      await inTransaction.close();
    });
    if (outcome === 'commit') await expectEverythingChanged(store);
    else expect(await snapshot()).toEqual(before);
  });
});

/**
 * The SecretStoreRepository contract, run against both implementations the package exports:
 * PostgresSecretStoreRepository on this file's database and InMemorySecretStoreRepository. What the service
 * relies on must hold for both: key order; versions that are kept, pruned and never repeat; compare-and-set;
 * metadata as merge patches; soft delete, destroy and purge; bulk writes; the rotation listing; key
 * fingerprints; the audit trail and its checkpoints; and transactions that put everything back when their work
 * throws.
 */
import { randomUUID } from 'node:crypto';

import {
  InMemorySecretStoreRepository,
  PostgresSecretStoreRepository,
  TransactionUnsupportedError,
  type AuditEntry,
  type AuditOperation,
  type AuditRecord,
  type BulkEntry,
  type MetadataPage,
  type SecretStoreRepository,
  type StoredValue,
  type WriteOptions,
  type WrittenValue,
} from '../../src';
import { useTestDatabase } from '../harness/database';
import { expectRejection, rejectionOf } from '../support/errors';
import { testdata } from '../support/repository-files';

const testDatabase = useTestDatabase();

/** An implementation with its storage emptied, and a way to see every key it holds. */
interface RepositoryUnderTest {
  repository: SecretStoreRepository;
  /** Every key with a row (deleted, or without a current value, too), in key order. */
  storedKeys(): Promise<string[]>;
}

const implementations: [string, () => Promise<RepositoryUnderTest>][] = [
  [
    'PostgresSecretStoreRepository',
    async () => {
      await testDatabase().reset();
      return {
        repository: new PostgresSecretStoreRepository(testDatabase().handle),
        async storedKeys() {
          const { rows } = await testDatabase().database.query('SELECT key FROM secret_store ORDER BY key', []);
          return (rows as { key: string }[]).map((row) => row.key);
        },
      };
    },
  ],
  [
    'InMemorySecretStoreRepository',
    () => {
      const repository = new InMemorySecretStoreRepository();
      const everything: MetadataPage = { prefix: '', after: '', limit: 1_000_000, includeDeleted: true };
      return Promise.resolve({
        repository,
        storedKeys: async () => (await repository.listSecretMetadata(everything)).map((record) => record.key),
      });
    },
  ],
];

const plain = (valueJson: string): StoredValue => ({ valueJson, encoding: 'plain', keyId: null });
const encrypted = (keyId: string, valueJson = '{"ct":"x"}'): StoredValue => ({
  valueJson,
  encoding: 'aes-256-gcm',
  keyId,
});
const triggerDev = (valueJson = '{"nonce":"00","ciphertext":"00","tag":"00"}'): StoredValue => ({
  valueJson,
  encoding: 'triggerdev-v2',
  keyId: null,
});

/** `stored` as one write stores it. */
const written = (stored: StoredValue, writeId: string | null = randomUUID()): WrittenValue => ({ ...stored, writeId });

const AUDIT_TIME = new Date('2026-03-04T05:06:07.089Z');

/** An audit entry as the store makes it for `operation`: a fresh id, and a MAC the repository only keeps. */
const auditOf = (operation: AuditOperation, key: string | null, writeId: string | null = null): AuditEntry => ({
  id: randomUUID(),
  operation,
  key,
  writeId,
  actor: 'repository-test',
  at: AUDIT_TIME,
  macKeyId: 'mac-key-1',
  mac: `mac-of-${operation}`,
});

/** One entry of a bulk write, with its audit record. */
const bulk = (key: string, stored: StoredValue, writeId: string | null = randomUUID()): BulkEntry => ({
  key,
  value: written(stored, writeId),
  audit: auditOf('set-many', key, writeId),
});

/** The record `entry` becomes once the repository has kept it. */
const recordOf = (entry: AuditEntry, fields: Partial<AuditRecord> = {}): AuditRecord => ({
  ...entry,
  versions: [],
  keys: [],
  seq: expect.any(Number) as number,
  recordedAt: expect.any(Date) as Date,
  sealedBy: null,
  ...fields,
});

const MAX_VERSIONS = 10;
const FAR_FUTURE = new Date('2100-01-01T00:00:00.000Z');

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Keys in the order of their UTF-8 bytes: the "C" collation's order, which is code point order. */
const byBytes = (keys: readonly string[]): string[] =>
  [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));

type WriteChoices = Partial<Omit<WriteOptions, 'audit'>> & { writeId?: string };

/** An unconditional `set` of `stored` unless `choices` say otherwise, audited as the store would. */
function writeTo(target: SecretStoreRepository, key: string, stored: StoredValue, choices: WriteChoices = {}) {
  const { writeId, ...options } = choices;
  const value = written(stored, writeId);
  const operation = options.operation ?? 'set';
  return target.writeSecret(key, value, {
    maxVersions: MAX_VERSIONS,
    operation,
    audit: auditOf(operation, key, value.writeId),
    ...options,
  });
}

describe.each(implementations)('%s', (_, open) => {
  let repository: SecretStoreRepository;
  let storedKeys: () => Promise<string[]>;

  beforeEach(async () => {
    ({ repository, storedKeys } = await open());
  });

  const set = (key: string, stored: StoredValue, choices?: WriteChoices) => writeTo(repository, key, stored, choices);
  const softDelete = (key: string) => repository.deleteSecret(key, auditOf('delete', key));
  const destroy = (key: string, versions: number[] | undefined) =>
    repository.destroySecretVersions(key, versions, auditOf('destroy', key));
  const listed = async (prefix: string) => (await repository.listSecretsByPrefix(prefix)).map((r) => r.key);
  const valueOf = async (key: string): Promise<unknown> => JSON.parse((await repository.getSecret(key))!.valueJson);
  const versionsOf = async (key: string) => (await repository.listSecretVersions(key)).map((info) => info.version);
  const auditTrail = (key?: string) => repository.readAuditRecords({ key, afterSeq: 0, limit: 1000 });
  const recordsOf = async (operation: AuditOperation, key?: string) =>
    (await auditTrail(key)).filter((record) => record.operation === operation);
  const metadataKeys = async (page: Partial<MetadataPage>) =>
    (await repository.listSecretMetadata({ prefix: '', after: '', limit: 100, includeDeleted: false, ...page })).map(
      (record) => record.key,
    );

  describe('reads and writes', () => {
    it('inserts a secret and reads it back with its timestamps and write', async () => {
      const before = Date.now();
      const result = await set('oauth.github', plain('{"client_id":"abc"}'), { writeId: 'write-1' });
      const read = await repository.getSecret('oauth.github');

      expect(result).toEqual({ version: 1 });
      expect(read).toEqual({
        key: 'oauth.github',
        valueJson: expect.any(String) as string,
        encoding: 'plain',
        keyId: null,
        writeId: 'write-1',
        version: 1,
        createdAt: expect.any(Date) as Date,
        updatedAt: expect.any(Date) as Date,
        expiresAt: null,
      });
      expect(JSON.parse(read!.valueJson)).toEqual({ client_id: 'abc' });
      expect(read!.createdAt.getTime()).toBeGreaterThanOrEqual(before - 5_000);
      expect(read!.updatedAt.getTime()).toBe(read!.createdAt.getTime());
    });

    it('reads of many return values without times, which they would parse into Dates for nothing', async () => {
      const expiresAt = new Date('2031-02-03T04:05:06.000Z');
      await set('many.a', plain('{"n":1}'), { writeId: 'write-a', metadata: { expiresAt } });
      const record = {
        key: 'many.a',
        valueJson: expect.any(String) as string,
        encoding: 'plain',
        keyId: null,
        writeId: 'write-a',
        version: 1,
        expiresAt,
      };

      expect(await repository.getSecretsByKeys(['many.a'])).toStrictEqual([record]);
      expect(await repository.listSecretsByPrefix('many.')).toStrictEqual([record]);
    });

    it('updates a secret: version bumped, updatedAt moved, createdAt kept', async () => {
      expect(await set('api.external', plain('{"api_key":"v1"}'))).toEqual({ version: 1 });
      const first = (await repository.getSecret('api.external'))!;
      await pause(20);
      expect(await set('api.external', plain('{"api_key":"v2"}'))).toEqual({ version: 2 });
      const second = (await repository.getSecret('api.external'))!;
      expect(await set('api.external', plain('{"api_key":"v3"}'), { writeId: 'write-3' })).toEqual({ version: 3 });
      const third = (await repository.getSecret('api.external'))!;

      expect(second.version).toBe(2);
      expect(third).toMatchObject({ version: 3, writeId: 'write-3' });
      expect(second.createdAt.getTime()).toBe(first.createdAt.getTime());
      expect(third.createdAt.getTime()).toBe(first.createdAt.getTime());
      expect(second.updatedAt.getTime()).toBeGreaterThan(first.updatedAt.getTime());
      expect(await valueOf('api.external')).toEqual({ api_key: 'v3' });
      expect(await storedKeys()).toEqual(['api.external']);
    });

    it('reads a missing key as undefined', async () => {
      await set('present', plain('{}'));
      expect(await repository.getSecret('absent')).toBeUndefined();
    });

    it('lists by prefix in key order, taking %, _ and \\ literally', async () => {
      const keys = [
        'a%b.1',
        'a%b.2',
        'aXb.1', // would match LIKE 'a%b%' and 'a_b%'
        'a_b.1',
        'a\\b.1',
        'a\\\\b.1',
        'a%',
        'b',
        'a%c',
      ];
      for (const key of keys) await set(key, plain(JSON.stringify({ key })));

      expect(await listed('a%b')).toEqual(['a%b.1', 'a%b.2']);
      expect(await listed('a_b')).toEqual(['a_b.1']);
      expect(await listed('a\\b')).toEqual(['a\\b.1']);
      expect(await listed('a%')).toEqual(['a%', 'a%b.1', 'a%b.2', 'a%c']);
      expect(await listed('zzz')).toEqual([]);
      expect(await listed('')).toEqual(byBytes(keys));
      // The metadata listing bounds its prefix the same way.
      expect(await metadataKeys({ prefix: 'a%b' })).toEqual(['a%b.1', 'a%b.2']);
      expect(await metadataKeys({ prefix: 'a_b' })).toEqual(['a_b.1']);
      expect(await metadataKeys({ prefix: 'a%' })).toEqual(['a%', 'a%b.1', 'a%b.2', 'a%c']);
    });

    it('lists by prefixes at the top of the code point range', async () => {
      const keys = ['\u{10FFFF}', '\u{10FFFF}a', '\u{10FFFE}z', 'x\u{10FFFF}', 'y'];
      for (const key of keys) await set(key, plain('{}'));

      expect(await listed('\u{10FFFF}')).toEqual(['\u{10FFFF}', '\u{10FFFF}a']);
      expect(await listed('x')).toEqual(['x\u{10FFFF}']);
      expect(await listed('\u{10FFFE}')).toEqual(['\u{10FFFE}z']);
      expect(await metadataKeys({ prefix: '\u{10FFFF}' })).toEqual(['\u{10FFFF}', '\u{10FFFF}a']);
      expect(await metadataKeys({ prefix: 'x' })).toEqual(['x\u{10FFFF}']);
    });

    it('orders keys by code point (the "C" collation) wherever it lists them, not by UTF-16 unit or locale', async () => {
      // UTF-16 puts U+1F600 (a surrogate pair, D83D DE00) before U+FFFD; a locale puts "a" before "B".
      const keys = ['\u{1F600}', 'a', '\uFFFD', 'é', 'B', '\u{10000}', 'Z', 'b'];
      const inOrder = ['B', 'Z', 'a', 'b', 'é', '\uFFFD', '\u{10000}', '\u{1F600}'];
      expect(byBytes(keys)).toEqual(inOrder);
      const versions = await repository.upsertSecrets(
        keys.map((key) => bulk(key, plain('{}'))),
        MAX_VERSIONS,
      );
      expect(versions.map((version) => version.key)).toEqual(inOrder);
      const due = new Date('2030-01-01T00:00:00.000Z');
      for (const key of keys) {
        await repository.updateSecretMetadata(key, { expiresAt: due }, undefined, auditOf('update-metadata', key));
      }

      expect(await listed('')).toEqual(inOrder);
      expect((await repository.getSecretsByKeys(keys)).map((r) => r.key)).toEqual(inOrder);
      const toRotate = async (after: { key: string; version: number }) =>
        (await repository.listVersionsToRotate('k1', after, 100)).map((r) => r.key);
      expect(await toRotate({ key: '', version: 0 })).toEqual(inOrder);
      expect(await toRotate({ key: 'b', version: 1 })).toEqual(inOrder.slice(4));
      expect(await metadataKeys({})).toEqual(inOrder);
      expect(await metadataKeys({ after: 'b' })).toEqual(inOrder.slice(4));
      expect((await repository.listCurrentWrites('', 100)).map((r) => r.key)).toEqual(inOrder);
      expect((await repository.listCurrentWrites('b', 100)).map((r) => r.key)).toEqual(inOrder.slice(4));
      expect((await repository.listSecretsDue(due)).map((r) => r.key)).toEqual(inOrder);
      expect(await storedKeys()).toEqual(inOrder);

      for (const key of keys) await softDelete(key);
      const purge = auditOf('purge', null);
      expect(await repository.purgeDeletedSecrets(FAR_FUTURE, purge)).toEqual(inOrder);
      expect(await recordsOf('purge')).toEqual([recordOf(purge, { keys: inOrder })]);
    });

    it('gets many by keys: missing, deleted and destroyed keys are absent, order is by key', async () => {
      await set('k.2', plain('{"n":2}'));
      await set('k.1', plain('{"n":1}'));
      await set('k.3', plain('{"n":3}'));
      await set('k.4', plain('{"n":4}'));
      await set('k.5', plain('{"n":5}'));
      await softDelete('k.4');
      await destroy('k.5', [1]);

      const records = await repository.getSecretsByKeys(['k.3', 'missing', 'k.1', 'k.4', 'k.5', 'k.1']);
      expect(records.map((r) => r.key)).toEqual(['k.1', 'k.3']);
      expect(records.map((r) => JSON.parse(r.valueJson) as unknown)).toEqual([{ n: 1 }, { n: 3 }]);
      expect(await repository.getSecretsByKeys(['nope'])).toEqual([]);
      expect(await repository.getSecretsByKeys([])).toEqual([]);
      expect(await listed('k.')).toEqual(['k.1', 'k.2', 'k.3']);
    });

    it('passes keys with quotes, commas and braces to the array parameter intact', async () => {
      const keys = ['has "quotes"', 'has,comma', '{braces}', 'back\\slash', 'NULL'];
      for (const key of keys) await set(key, plain('{}'));

      const records = await repository.getSecretsByKeys(keys);
      expect(records.map((r) => r.key).sort()).toEqual([...keys].sort());
    });

    it('round-trips testdata/secrets.json', async () => {
      expect(Object.keys(testdata).sort()).toEqual(['api.external', 'database.postgres', 'oauth.github']);

      for (const [key, value] of Object.entries(testdata)) await set(key, plain(JSON.stringify(value)));
      for (const [key, value] of Object.entries(testdata)) {
        expect(await valueOf(key)).toEqual(value);
      }
    });

    it('stores unicode keys and values', async () => {
      const key = 'clé.秘密.🔑.ключ';
      const value = {
        emoji: '🔐👩‍💻',
        cjk: '中文字符',
        rtl: 'مفتاح',
        combining: 'e\u0301',
        astral: '\u{1F600}',
        quote: '"\\',
      };
      await set(key, plain(JSON.stringify(value)));

      const read = await repository.getSecret(key);
      expect(read!.key).toBe(key);
      expect(JSON.parse(read!.valueJson)).toEqual(value);
      expect(await listed('clé.秘密')).toEqual([key]);
    });

    it('hands out copies: changing what it returned, or what it was given, changes nothing stored', async () => {
      const tags: Record<string, string> = { team: 'core' };
      const expiresAt = new Date('2030-01-01T00:00:00.000Z');
      await set('copy.a', plain('{"n":1}'), { metadata: { tags, expiresAt } });
      const read = { ...auditOf('read', 'copy.a'), at: new Date(AUDIT_TIME) };
      await repository.appendAuditRecord(read, [1], ['copy.a']);
      tags.team = 'changed';
      expiresAt.setTime(0);
      read.at.setTime(0);

      await repository.sealAuditRecords({ records: 1, digest: 'digest', previousMac: '', macKeyId: null, mac: 'mac' }, [
        (await repository.findAuditRecords([read.id]))[0].seq,
      ]);

      const readBack = async () => ({
        metadata: (await repository.getSecretMetadata('copy.a'))!,
        secret: (await repository.getSecret('copy.a'))!,
        version: (await repository.getSecretVersion('copy.a', 1))!,
        versions: await repository.listSecretVersions('copy.a'),
        records: await auditTrail('copy.a'),
        checkpoints: await repository.listAuditCheckpoints(),
      });
      /** What a caller's copy would be: the values as they are now, sharing nothing. */
      const detached = (value: unknown): unknown => JSON.parse(JSON.stringify(value));
      const returned = await readBack();
      const asReturned = detached(returned);
      expect(returned.metadata).toMatchObject({
        tags: { team: 'core' },
        expiresAt: new Date('2030-01-01T00:00:00.000Z'),
      });
      expect(returned.records[1]).toMatchObject({ at: AUDIT_TIME, versions: [1], keys: ['copy.a'] });

      returned.metadata.tags.team = 'mutated';
      returned.metadata.expiresAt!.setTime(1);
      returned.metadata.version = 99;
      returned.secret.createdAt.setTime(1);
      returned.secret.valueJson = '{}';
      returned.version.createdAt.setTime(1);
      returned.versions[0].destroyed = true;
      returned.records[1].versions.push(7);
      returned.records[1].keys.length = 0;
      returned.records[1].recordedAt.setTime(1);
      returned.records[0].sealedBy = 99;
      returned.checkpoints[0].mac = 'mutated';
      returned.checkpoints[0].createdAt.setTime(1);
      expect(detached(await readBack())).toEqual(asReturned);
    });
  });

  describe('versions', () => {
    it('never gives a key a version it had before: across deletes, destroys, purges and every way of writing', async () => {
      expect(await set('v.a', plain('{"n":1}'))).toEqual({ version: 1 });
      expect(await set('v.a', plain('{"n":2}'))).toEqual({ version: 2 });
      expect(await softDelete('v.a')).toBe(true);
      expect(await set('v.a', plain('{"n":3}'))).toEqual({ version: 3 });
      expect(await softDelete('v.a')).toBe(true);
      expect(await set('v.a', plain('{"n":4}'), { ifVersion: 0 })).toEqual({ version: 4 });
      expect(await softDelete('v.a')).toBe(true);
      expect(await repository.upsertSecrets([bulk('v.a', plain('{"n":5}'))], MAX_VERSIONS)).toEqual([
        { key: 'v.a', version: 5 },
      ]);
      // Destroyed altogether, its row goes: the key continues from its last version all the same.
      expect(await destroy('v.a', undefined)).toEqual([1, 2, 3, 4, 5]);
      expect(await storedKeys()).toEqual([]);
      expect(await set('v.a', plain('{"n":6}'))).toEqual({ version: 6 });
      expect(await destroy('v.a', [6])).toEqual([6]);
      expect(await set('v.a', plain('{"n":7}'), { ifVersion: 0 })).toEqual({ version: 7 });
      // Purged, its versions go too; still, the next write does not start over.
      expect(await softDelete('v.a')).toBe(true);
      expect(await repository.purgeDeletedSecrets(FAR_FUTURE, auditOf('purge', null))).toEqual(['v.a']);
      expect(await set('v.a', plain('{"n":8}'))).toEqual({ version: 8 });

      expect(await repository.getSecret('v.a')).toMatchObject({ version: 8 });
      expect(await versionsOf('v.a')).toEqual([8]);
      // Another key starts at 1: the count is per key.
      expect(await set('v.b', plain('{}'))).toEqual({ version: 1 });
    });

    it('keeps each version as written, listed newest first, and reads one by its number', async () => {
      await set('gv.a', plain('{"n":1}'), { writeId: 'write-1' });
      await pause(20);
      await set('gv.a', encrypted('k1', '{"ct":"2"}'), { writeId: 'write-2' });

      const first = await repository.getSecretVersion('gv.a', 1);
      expect(first).toEqual({
        key: 'gv.a',
        version: 1,
        valueJson: expect.any(String) as string,
        encoding: 'plain',
        keyId: null,
        writeId: 'write-1',
        createdAt: expect.any(Date) as Date,
      });
      expect(JSON.parse(first!.valueJson)).toEqual({ n: 1 });
      const second = (await repository.getSecretVersion('gv.a', 2))!;
      expect(second).toMatchObject({ encoding: 'aes-256-gcm', keyId: 'k1', writeId: 'write-2' });
      expect(JSON.parse(second.valueJson)).toEqual({ ct: '2' });
      expect(second.createdAt.getTime()).toBeGreaterThan(first!.createdAt.getTime());
      // The current value is the newest version, written at the same time.
      expect((await repository.getSecret('gv.a'))!.updatedAt).toEqual(second.createdAt);

      expect(await repository.listSecretVersions('gv.a')).toEqual([
        { version: 2, createdAt: second.createdAt, deletedAt: null, destroyed: false },
        { version: 1, createdAt: first!.createdAt, deletedAt: null, destroyed: false },
      ]);
      expect(await repository.getSecretVersion('gv.a', 3)).toBeUndefined();
      expect(await repository.getSecretVersion('gv.a', 0)).toBeUndefined();
      expect(await repository.getSecretVersion('gv.missing', 1)).toBeUndefined();
      expect(await repository.listSecretVersions('gv.missing')).toEqual([]);
    });

    it("keeps the store's number of versions, or the secret's own, removing the oldest", async () => {
      for (let n = 1; n <= 5; n++) await set('p.a', plain(`{"n":${n}}`), { maxVersions: 3 });
      await set('p.other', plain('{}'), { maxVersions: 3 });
      expect(await versionsOf('p.a')).toEqual([5, 4, 3]);
      expect(await repository.getSecretVersion('p.a', 2)).toBeUndefined();
      expect(JSON.parse((await repository.getSecretVersion('p.a', 3))!.valueJson)).toEqual({ n: 3 });

      // The secret's own limit wins over the store's, from the write that sets it on.
      await set('p.a', plain('{"n":6}'), { maxVersions: 3, metadata: { maxVersions: 2 } });
      expect(await versionsOf('p.a')).toEqual([6, 5]);
      await set('p.a', plain('{"n":7}'), { maxVersions: 100 });
      expect(await versionsOf('p.a')).toEqual([7, 6]);

      // Cleared, the store's applies again: versions accumulate up to it.
      const cleared = auditOf('update-metadata', 'p.a');
      expect(await repository.updateSecretMetadata('p.a', { maxVersions: null }, undefined, cleared)).toMatchObject({
        maxVersions: null,
      });
      for (let n = 8; n <= 10; n++) await set('p.a', plain(`{"n":${n}}`), { maxVersions: 4 });
      expect(await versionsOf('p.a')).toEqual([10, 9, 8, 7]);

      // A bulk write prunes the same way, a destroyed version counting as kept until it goes.
      await destroy('p.a', [9]);
      expect(await repository.upsertSecrets([bulk('p.a', plain('{"n":11}'))], 3)).toEqual([
        { key: 'p.a', version: 11 },
      ]);
      expect(await repository.listSecretVersions('p.a')).toEqual([
        expect.objectContaining({ version: 11, destroyed: false }),
        expect.objectContaining({ version: 10, destroyed: false }),
        expect.objectContaining({ version: 9, destroyed: true }),
      ]);
      await repository.updateSecretMetadata('p.a', { maxVersions: 1 }, undefined, auditOf('update-metadata', 'p.a'));
      await repository.upsertSecrets([bulk('p.a', plain('{"n":12}'))], 3);
      expect(await versionsOf('p.a')).toEqual([12]);

      expect(await versionsOf('p.other')).toEqual([1]);
    });
  });

  describe('compare-and-set and metadata with a write', () => {
    it('writes with compare-and-set only over the expected version, writing and recording nothing otherwise', async () => {
      expect(await set('cas.a', plain('{"n":1}'), { ifVersion: 0 })).toEqual({ version: 1 });
      const trail = await auditTrail();

      expect(await set('cas.a', plain('{"n":2}'), { ifVersion: 0 })).toBeUndefined();
      expect(
        await set('cas.a', plain('{"n":3}'), { ifVersion: 2, metadata: { description: 'refused', tags: { a: '1' } } }),
      ).toBeUndefined();
      expect(await valueOf('cas.a')).toEqual({ n: 1 });
      expect(await versionsOf('cas.a')).toEqual([1]);
      expect(await repository.getSecretMetadata('cas.a')).toMatchObject({ version: 1, description: null, tags: {} });
      expect(await auditTrail()).toEqual(trail);

      expect(await set('cas.a', plain('{"n":4}'), { ifVersion: 1 })).toEqual({ version: 2 });
      expect(await set('cas.a', plain('{"n":5}'), { ifVersion: 1 })).toBeUndefined();
      expect(await repository.getSecret('cas.a')).toMatchObject({ version: 2 });
      expect(await valueOf('cas.a')).toEqual({ n: 4 });

      // An expected version of a key that does not exist writes nothing.
      expect(await set('cas.missing', plain('{}'), { ifVersion: 3 })).toBeUndefined();
      expect(await storedKeys()).toEqual(['cas.a']);
    });

    it('takes ifVersion 0 over a deleted secret or a destroyed current value, and N only over a live one', async () => {
      await set('cas.d', plain('{"n":1}'), { metadata: { description: 'kept' } });
      await softDelete('cas.d');
      expect(await set('cas.d', plain('{"n":2}'), { ifVersion: 1 })).toBeUndefined();
      expect(await set('cas.d', plain('{"n":2}'), { ifVersion: 0 })).toEqual({ version: 2 });
      // Written over, a deleted secret is back, with its metadata.
      expect(await repository.getSecretMetadata('cas.d')).toMatchObject({
        version: 2,
        deletedAt: null,
        description: 'kept',
      });
      expect(await valueOf('cas.d')).toEqual({ n: 2 });

      await destroy('cas.d', [2]);
      expect(await set('cas.d', plain('{"n":3}'), { ifVersion: 2 })).toBeUndefined();
      expect(await set('cas.d', plain('{"n":3}'), { ifVersion: 0 })).toEqual({ version: 3 });
      expect(await valueOf('cas.d')).toEqual({ n: 3 });

      // Destroyed altogether, its row gone, it is absent as well.
      await destroy('cas.d', undefined);
      expect(await set('cas.d', plain('{"n":4}'), { ifVersion: 3 })).toBeUndefined();
      expect(await set('cas.d', plain('{"n":4}'), { ifVersion: 0 })).toEqual({ version: 4 });
      expect(await valueOf('cas.d')).toEqual({ n: 4 });
      expect(await repository.listSecretVersions('cas.d')).toEqual([
        expect.objectContaining({ version: 4, destroyed: false }),
        expect.objectContaining({ version: 3, destroyed: true }),
        expect.objectContaining({ version: 2, destroyed: true }),
        expect.objectContaining({ version: 1, destroyed: true }),
      ]);
    });

    it('applies a metadata patch with the write, as a merge patch, and keeps what the write leaves out', async () => {
      const expiresAt = new Date('2030-01-02T03:04:05.678Z');
      const rotateAfter = new Date('2029-06-07T08:09:10.111Z');
      await set('m.a', plain('{}'), {
        metadata: {
          description: 'the first',
          tags: { team: 'core', gone: null },
          expiresAt,
          rotateAfter,
          maxVersions: 5,
        },
      });
      const created = (await repository.getSecretMetadata('m.a'))!;
      expect(created).toEqual({
        key: 'm.a',
        version: 1,
        encoding: 'plain',
        keyId: null,
        createdAt: expect.any(Date) as Date,
        updatedAt: created.createdAt,
        deletedAt: null,
        description: 'the first',
        tags: { team: 'core' },
        expiresAt,
        rotateAfter,
        maxVersions: 5,
      });
      expect(await repository.getSecret('m.a')).toMatchObject({ expiresAt });

      await set('m.a', encrypted('k1'), { metadata: { tags: { team: null, owner: 'ops' }, expiresAt: null } });
      expect(await repository.getSecretMetadata('m.a')).toMatchObject({
        version: 2,
        encoding: 'aes-256-gcm',
        keyId: 'k1',
        description: 'the first',
        tags: { owner: 'ops' },
        expiresAt: null,
        rotateAfter,
        maxVersions: 5,
      });
      expect(await repository.getSecret('m.a')).toMatchObject({ expiresAt: null });

      await set('m.a', plain('{}'));
      expect(await repository.getSecretMetadata('m.a')).toMatchObject({
        version: 3,
        description: 'the first',
        tags: { owner: 'ops' },
        rotateAfter,
        maxVersions: 5,
      });

      await set('m.a', plain('{}'), {
        ifVersion: 3,
        metadata: { description: null, tags: null, rotateAfter: null, maxVersions: null },
      });
      expect(await repository.getSecretMetadata('m.a')).toMatchObject({
        version: 4,
        description: null,
        tags: {},
        expiresAt: null,
        rotateAfter: null,
        maxVersions: null,
      });
    });

    it('keeps the metadata and creation time of a deleted secret written again, not of one destroyed', async () => {
      await set('m.b', plain('{}'), { metadata: { description: 'kept', tags: { a: '1' } } });
      const first = (await repository.getSecretMetadata('m.b'))!;
      await softDelete('m.b');
      await pause(20);
      await set('m.b', plain('{}'), { metadata: { tags: { b: '2' } } });
      const again = (await repository.getSecretMetadata('m.b'))!;
      expect(again).toMatchObject({ version: 2, deletedAt: null, description: 'kept', tags: { a: '1', b: '2' } });
      expect(again.createdAt).toEqual(first.createdAt);
      expect(again.updatedAt.getTime()).toBeGreaterThan(first.updatedAt.getTime());

      await destroy('m.b', undefined);
      expect(await repository.getSecretMetadata('m.b')).toBeUndefined();
      await set('m.b', plain('{}'));
      const anew = (await repository.getSecretMetadata('m.b'))!;
      expect(anew).toMatchObject({ version: 3, description: null, tags: {} });
      expect(anew.createdAt.getTime()).toBeGreaterThan(first.createdAt.getTime());
    });

    it('records each write with its operation, write and version, the entry as given', async () => {
      const first = auditOf('set', 'a.1', 'write-1');
      await repository.writeSecret('a.1', written(plain('{}'), 'write-1'), {
        maxVersions: MAX_VERSIONS,
        operation: 'set',
        audit: first,
      });
      const restored = auditOf('restore', 'a.1', 'write-2');
      await repository.writeSecret('a.1', written(plain('{}'), 'write-2'), {
        maxVersions: MAX_VERSIONS,
        operation: 'restore',
        metadata: { description: 'restored' },
        audit: restored,
      });
      const refused = auditOf('set', 'a.1', 'write-3');
      const conditional = { maxVersions: MAX_VERSIONS, operation: 'set', ifVersion: 1, audit: refused } as const;
      expect(await repository.writeSecret('a.1', written(plain('{}'), 'write-3'), conditional)).toBeUndefined();

      const trail = await auditTrail();
      expect(trail).toEqual([recordOf(first, { versions: [1] }), recordOf(restored, { versions: [2] })]);
      expect(trail[1].seq).toBeGreaterThan(trail[0].seq);
      expect(Math.abs(trail[0].recordedAt.getTime() - Date.now())).toBeLessThan(60_000);
      expect(await repository.findAuditRecords([refused.id])).toEqual([]);
    });
  });

  describe('bulk writes', () => {
    it('writes many secrets at once, creating and replacing, in key order, each kept and audited as set-many', async () => {
      await set('bulk.b', plain('{"n":0}'));
      const entries = [
        bulk('bulk.c', plain('{"n":3}')),
        bulk('bulk.a', plain('{"n":1}')),
        bulk('bulk.b', encrypted('k1', '{"ct":"b"}')),
      ];
      const before = await auditTrail();

      expect(await repository.upsertSecrets(entries, MAX_VERSIONS)).toEqual([
        { key: 'bulk.a', version: 1 },
        { key: 'bulk.b', version: 2 },
        { key: 'bulk.c', version: 1 },
      ]);
      expect(await storedKeys()).toEqual(['bulk.a', 'bulk.b', 'bulk.c']);
      expect(await repository.getSecret('bulk.b')).toMatchObject({
        encoding: 'aes-256-gcm',
        keyId: 'k1',
        version: 2,
        writeId: entries[2].value.writeId,
      });
      expect(await valueOf('bulk.c')).toEqual({ n: 3 });
      expect(await versionsOf('bulk.b')).toEqual([2, 1]);
      expect(JSON.parse((await repository.getSecretVersion('bulk.b', 1))!.valueJson)).toEqual({ n: 0 });

      const added = (await auditTrail()).slice(before.length);
      const byKey = (a: AuditRecord, b: AuditRecord) => (a.key ?? '').localeCompare(b.key ?? '');
      expect([...added].sort(byKey)).toEqual([
        recordOf(entries[1].audit, { versions: [1] }),
        recordOf(entries[2].audit, { versions: [2] }),
        recordOf(entries[0].audit, { versions: [1] }),
      ]);

      expect(await repository.upsertSecrets([], MAX_VERSIONS)).toEqual([]);
      expect(await auditTrail()).toHaveLength(before.length + 3);
    });

    it('brings back a deleted secret with its metadata, and continues a destroyed one, when it writes many', async () => {
      await set('bd.deleted', plain('{"n":1}'), { metadata: { description: 'kept' } });
      await softDelete('bd.deleted');
      await set('bd.destroyed', plain('{"n":1}'));
      await set('bd.destroyed', plain('{"n":2}'));
      await destroy('bd.destroyed', undefined);

      expect(
        await repository.upsertSecrets(
          [bulk('bd.destroyed', plain('{"n":3}')), bulk('bd.deleted', plain('{"n":2}'))],
          MAX_VERSIONS,
        ),
      ).toEqual([
        { key: 'bd.deleted', version: 2 },
        { key: 'bd.destroyed', version: 3 },
      ]);
      expect(await repository.getSecretMetadata('bd.deleted')).toMatchObject({ deletedAt: null, description: 'kept' });
      expect(await valueOf('bd.deleted')).toEqual({ n: 2 });
      expect(await valueOf('bd.destroyed')).toEqual({ n: 3 });
    });
  });

  describe('delete, undelete, destroy and purge', () => {
    it('soft-deletes a secret: it reads as missing, keeps its versions and metadata, and comes back as it was', async () => {
      const expiresAt = new Date('2030-01-01T00:00:00.000Z');
      await set('del.a', plain('{"n":1}'));
      await set('del.a', plain('{"n":2}'), { metadata: { description: 'd', expiresAt } });
      await set('del.b', plain('{}'));
      const before = (await repository.getSecret('del.a'))!;
      const deletion = auditOf('delete', 'del.a');

      expect(await repository.deleteSecret('del.a', deletion)).toBe(true);
      expect(await repository.getSecret('del.a')).toBeUndefined();
      expect((await repository.getSecretsByKeys(['del.a', 'del.b'])).map((r) => r.key)).toEqual(['del.b']);
      expect(await listed('del.')).toEqual(['del.b']);
      expect(await repository.listSecretsDue(FAR_FUTURE)).toEqual([]);
      const metadata = (await repository.getSecretMetadata('del.a'))!;
      expect(metadata).toMatchObject({ version: 2, description: 'd', expiresAt });
      expect(metadata.deletedAt).toBeInstanceOf(Date);
      expect(metadata.updatedAt).toEqual(before.updatedAt);
      expect(await repository.listSecretVersions('del.a')).toEqual([
        expect.objectContaining({ version: 2, deletedAt: metadata.deletedAt, destroyed: false }),
        expect.objectContaining({ version: 1, deletedAt: null, destroyed: false }),
      ]);
      // Its kept versions can still be read by number (a restore reads them).
      expect(JSON.parse((await repository.getSecretVersion('del.a', 1))!.valueJson)).toEqual({ n: 1 });

      expect(await softDelete('del.a')).toBe(false);
      expect(await softDelete('del.never')).toBe(false);
      expect(await repository.undeleteSecret('del.b', auditOf('undelete', 'del.b'))).toBe(false);
      expect(await repository.undeleteSecret('del.never', auditOf('undelete', 'del.never'))).toBe(false);
      const undeletion = auditOf('undelete', 'del.a');
      expect(await repository.undeleteSecret('del.a', undeletion)).toBe(true);
      expect(await repository.getSecret('del.a')).toEqual(before);
      expect(await repository.getSecretMetadata('del.a')).toMatchObject({ deletedAt: null });
      expect(await repository.undeleteSecret('del.a', auditOf('undelete', 'del.a'))).toBe(false);

      const trail = await auditTrail('del.a');
      expect(trail.map((record) => record.operation)).toEqual(['set', 'set', 'delete', 'undelete']);
      expect(trail.slice(2)).toEqual([recordOf(deletion, { versions: [2] }), recordOf(undeletion, { versions: [2] })]);
      expect(await auditTrail('del.never')).toEqual([]);
      expect(await auditTrail('del.b')).toHaveLength(1);
    });

    it('destroys chosen versions for good, keeping the record that they existed', async () => {
      for (let n = 1; n <= 3; n++) await set('x.a', plain(`{"n":${n}}`));
      const destruction = auditOf('destroy', 'x.a');

      expect(await repository.destroySecretVersions('x.a', [3, 1, 7], destruction)).toEqual([1, 3]);
      expect(await repository.getSecret('x.a')).toBeUndefined();
      expect(await listed('x.')).toEqual([]);
      expect(await repository.getSecretVersion('x.a', 3)).toBeUndefined();
      expect(await repository.getSecretVersion('x.a', 1)).toBeUndefined();
      expect(JSON.parse((await repository.getSecretVersion('x.a', 2))!.valueJson)).toEqual({ n: 2 });
      expect(
        (await repository.listSecretVersions('x.a')).map(({ version, destroyed }) => [version, destroyed]),
      ).toEqual([
        [3, true],
        [2, false],
        [1, true],
      ]);
      // The secret is still there at its version, only without a current value.
      expect(await repository.getSecretMetadata('x.a')).toMatchObject({ version: 3, deletedAt: null });
      expect(await storedKeys()).toEqual(['x.a']);

      // Nothing left to erase: nothing recorded.
      expect(await destroy('x.a', [1])).toEqual([]);
      expect(await destroy('x.a', [])).toEqual([]);
      expect(await destroy('x.missing', [1])).toEqual([]);
      expect(await recordsOf('destroy')).toEqual([recordOf(destruction, { versions: [1, 3] })]);

      // Written again, it reads as the new version; an older version destroyed leaves it readable.
      expect(await set('x.a', plain('{"n":4}'))).toEqual({ version: 4 });
      expect(await destroy('x.a', [2])).toEqual([2]);
      expect(await valueOf('x.a')).toEqual({ n: 4 });
    });

    it('destroys every version and removes the secret when no versions are named', async () => {
      await set('y.a', plain('{"n":1}'));
      await set('y.a', plain('{"n":2}'));
      await destroy('y.a', [1]);
      await softDelete('y.a');
      const destruction = auditOf('destroy', 'y.a');

      expect(await repository.destroySecretVersions('y.a', undefined, destruction)).toEqual([2]);
      expect(await repository.getSecretMetadata('y.a')).toBeUndefined();
      expect(await storedKeys()).toEqual([]);
      expect(await repository.listSecretVersions('y.a')).toEqual([
        { version: 2, createdAt: expect.any(Date) as Date, deletedAt: null, destroyed: true },
        { version: 1, createdAt: expect.any(Date) as Date, deletedAt: null, destroyed: true },
      ]);
      expect(await repository.getSecretVersion('y.a', 2)).toBeUndefined();
      expect((await recordsOf('destroy', 'y.a')).at(-1)).toEqual(recordOf(destruction, { versions: [2] }));

      // Nothing there: nothing erased, nothing recorded.
      const trail = await auditTrail();
      expect(await destroy('y.a', undefined)).toEqual([]);
      expect(await destroy('y.none', undefined)).toEqual([]);
      expect(await auditTrail()).toEqual(trail);

      // A secret whose every version was destroyed already still has its row removed, and that is recorded.
      await set('z.a', plain('{}'));
      await destroy('z.a', [1]);
      const removal = auditOf('destroy', 'z.a');
      expect(await repository.destroySecretVersions('z.a', undefined, removal)).toEqual([]);
      expect(await repository.getSecretMetadata('z.a')).toBeUndefined();
      expect(await repository.findAuditRecords([removal.id])).toEqual([recordOf(removal, { versions: [] })]);
    });

    it('purges the secrets deleted before a time, with their versions, in one audit record', async () => {
      await set('pg.b', plain('{}'));
      await set('pg.b', plain('{}'));
      await set('pg.a', plain('{}'));
      await set('pg.c', plain('{}'));
      await set('pg.live', plain('{}'));
      await softDelete('pg.b');
      await softDelete('pg.a');
      const deletedAt = async (key: string) => (await repository.getSecretMetadata(key))!.deletedAt!.getTime();
      const [first, last] = [await deletedAt('pg.b'), await deletedAt('pg.a')];
      await pause(30);
      await softDelete('pg.c');
      const cut = new Date(last + 1);
      expect(await deletedAt('pg.c')).toBeGreaterThanOrEqual(cut.getTime());
      const trail = await auditTrail();

      // Strictly before: a secret deleted at that very time stays.
      expect(await repository.purgeDeletedSecrets(new Date(first), auditOf('purge', null))).toEqual([]);
      expect(await auditTrail()).toEqual(trail);

      const purge = auditOf('purge', null);
      expect(await repository.purgeDeletedSecrets(cut, purge)).toEqual(['pg.a', 'pg.b']);
      expect(await storedKeys()).toEqual(['pg.c', 'pg.live']);
      expect(await repository.getSecretMetadata('pg.a')).toBeUndefined();
      expect(await repository.listSecretVersions('pg.b')).toEqual([]);
      expect(await repository.getSecretVersion('pg.b', 1)).toBeUndefined();
      expect(await recordsOf('purge')).toEqual([recordOf(purge, { keys: ['pg.a', 'pg.b'] })]);
      expect(await repository.purgeDeletedSecrets(cut, auditOf('purge', null))).toEqual([]);
      expect(await recordsOf('purge')).toHaveLength(1);

      // A purged key written again continues from the version it had.
      expect(await set('pg.b', plain('{}'))).toEqual({ version: 3 });
    });
  });

  describe('metadata', () => {
    it('updates metadata as a merge patch, at a version when asked, never on a deleted secret', async () => {
      await set('u.a', plain('{"n":1}'), { metadata: { description: 'first', tags: { a: '1', b: '2' } } });
      const before = (await repository.getSecretMetadata('u.a'))!;
      await pause(20);
      const expiresAt = new Date('2031-01-01T00:00:00.000Z');
      const update = auditOf('update-metadata', 'u.a');

      const updated = await repository.updateSecretMetadata(
        'u.a',
        { tags: { a: null, c: '3' }, expiresAt, maxVersions: 7 },
        undefined,
        update,
      );
      // Neither the version nor updatedAt moves: no value was written.
      expect(updated).toEqual({ ...before, tags: { b: '2', c: '3' }, expiresAt, maxVersions: 7 });
      expect(await repository.getSecretMetadata('u.a')).toEqual(updated);
      expect(await repository.getSecret('u.a')).toMatchObject({ version: 1, expiresAt, updatedAt: before.updatedAt });

      expect(
        await repository.updateSecretMetadata('u.a', { description: 'refused' }, 2, auditOf('update-metadata', 'u.a')),
      ).toBeUndefined();
      expect(
        await repository.updateSecretMetadata('u.a', { description: 'second' }, 1, auditOf('update-metadata', 'u.a')),
      ).toMatchObject({ description: 'second', tags: { b: '2', c: '3' } });
      expect(
        await repository.updateSecretMetadata(
          'u.a',
          { description: null, tags: null, expiresAt: null },
          undefined,
          auditOf('update-metadata', 'u.a'),
        ),
      ).toMatchObject({ description: null, tags: {}, expiresAt: null, maxVersions: 7 });

      // A destroyed current value still has metadata to change; a deleted secret does not.
      await destroy('u.a', [1]);
      expect(
        await repository.updateSecretMetadata(
          'u.a',
          { description: 'destroyed' },
          1,
          auditOf('update-metadata', 'u.a'),
        ),
      ).toMatchObject({ description: 'destroyed' });
      await softDelete('u.a');
      expect(
        await repository.updateSecretMetadata(
          'u.a',
          { description: 'deleted' },
          undefined,
          auditOf('update-metadata', 'u.a'),
        ),
      ).toBeUndefined();
      expect(
        await repository.updateSecretMetadata(
          'u.none',
          { description: 'x' },
          undefined,
          auditOf('update-metadata', 'u.none'),
        ),
      ).toBeUndefined();
      expect(await repository.getSecretMetadata('u.a')).toMatchObject({ description: 'destroyed' });

      const updates = await recordsOf('update-metadata');
      expect(updates).toHaveLength(4);
      expect(updates[0]).toEqual(recordOf(update, { versions: [1] }));
      expect(updates.map((record) => record.key)).toEqual(['u.a', 'u.a', 'u.a', 'u.a']);
    });

    it('lists metadata a page at a time: by prefix, after a key, up to a limit, with or without deleted secrets', async () => {
      for (const key of ['m', 'm.a', 'm.b', 'm.c', 'm.d', 'm/', 'n']) await set(key, plain('{}'));
      await destroy('m.c', [1]);
      await softDelete('m.b');

      expect(await metadataKeys({ prefix: 'm.' })).toEqual(['m.a', 'm.c', 'm.d']);
      expect(await metadataKeys({ prefix: 'm.', includeDeleted: true })).toEqual(['m.a', 'm.b', 'm.c', 'm.d']);
      expect(await metadataKeys({ prefix: 'm.', includeDeleted: true, limit: 2 })).toEqual(['m.a', 'm.b']);
      expect(await metadataKeys({ prefix: 'm.', includeDeleted: true, after: 'm.b', limit: 2 })).toEqual([
        'm.c',
        'm.d',
      ]);
      expect(await metadataKeys({ prefix: 'm.', after: 'm.d' })).toEqual([]);
      expect(await metadataKeys({ prefix: 'm.', after: 'a' })).toEqual(['m.a', 'm.c', 'm.d']);
      expect(await metadataKeys({ prefix: 'm.', limit: 0 })).toEqual([]);
      expect(await metadataKeys({ prefix: 'm' })).toEqual(['m', 'm.a', 'm.c', 'm.d', 'm/']);
      expect(await metadataKeys({ includeDeleted: true })).toEqual(['m', 'm.a', 'm.b', 'm.c', 'm.d', 'm/', 'n']);

      const [deleted] = await repository.listSecretMetadata({
        prefix: 'm.b',
        after: '',
        limit: 1,
        includeDeleted: true,
      });
      expect(deleted).toEqual(await repository.getSecretMetadata('m.b'));
      expect(deleted.deletedAt).toBeInstanceOf(Date);
      expect(await repository.getSecretMetadata('m.absent')).toBeUndefined();
    });

    it('lists the dates due on or before a time: soonest first, then by key, expiry before rotation', async () => {
      const at = (minute: number) => new Date(Date.UTC(2030, 0, 1, 0, minute));
      await set('due.b', plain('{}'), { metadata: { expiresAt: at(10), rotateAfter: at(5) } });
      await set('due.a', plain('{}'), { metadata: { expiresAt: at(10), rotateAfter: at(10) } });
      await set('due.c', plain('{}'), { metadata: { rotateAfter: at(30) } });
      await set('due.d', plain('{}'), { metadata: { expiresAt: at(1) } });
      await softDelete('due.d');
      await set('due.e', plain('{}'));
      // Without a current value, a secret that is not deleted still has its dates.
      await set('due.f', plain('{}'), { metadata: { expiresAt: at(20) } });
      await destroy('due.f', [1]);

      expect(await repository.listSecretsDue(at(20))).toEqual([
        { key: 'due.b', due: 'rotateAfter', at: at(5) },
        { key: 'due.a', due: 'expiresAt', at: at(10) },
        { key: 'due.a', due: 'rotateAfter', at: at(10) },
        { key: 'due.b', due: 'expiresAt', at: at(10) },
        { key: 'due.f', due: 'expiresAt', at: at(20) },
      ]);
      expect(await repository.listSecretsDue(at(4))).toEqual([]);
      expect((await repository.listSecretsDue(at(30))).at(-1)).toEqual({
        key: 'due.c',
        due: 'rotateAfter',
        at: at(30),
      });
    });
  });

  describe('rotation', () => {
    it('lists the kept versions to re-encrypt: not under the active key, in key and version order after a position', async () => {
      await set('r.1', encrypted('k1'));
      await set('r.1', encrypted('k2'));
      await set('r.2', plain('{}'));
      await set('r.2', triggerDev());
      await set('r.3', encrypted('k2'));
      await set('r.4', plain('{}'));
      await destroy('r.4', [1]);
      await set('r.4', encrypted('k1'));
      // A deleted secret's versions are kept, and re-encrypted like any other.
      await set('r.5', plain('{}'));
      await softDelete('r.5');
      const positions = async (after: { key: string; version: number }, limit: number) =>
        (await repository.listVersionsToRotate('k2', after, limit)).map((r) => `${r.key}@${r.version}`);

      expect(await positions({ key: '', version: 0 }, 100)).toEqual(['r.1@1', 'r.2@1', 'r.2@2', 'r.4@2', 'r.5@1']);
      expect(await positions({ key: '', version: 0 }, 2)).toEqual(['r.1@1', 'r.2@1']);
      expect(await positions({ key: 'r.2', version: 1 }, 2)).toEqual(['r.2@2', 'r.4@2']);
      expect(await positions({ key: 'r.4', version: 2 }, 10)).toEqual(['r.5@1']);
      expect(await positions({ key: 'r.5', version: 1 }, 10)).toEqual([]);
      const [first] = await repository.listVersionsToRotate('k2', { key: '', version: 0 }, 1);
      expect(first).toEqual(await repository.getSecretVersion('r.1', 1));
    });

    it('re-encrypts a kept version only while it is as listed, the current value with it, keeping versions and times', async () => {
      await set('re.a', plain('{"n":1}'), { writeId: 'write-1' });
      await set('re.a', plain('{"n":2}'), { writeId: 'write-2' });
      const before = (await repository.getSecret('re.a'))!;
      const [old, current] = await repository.listVersionsToRotate('k1', { key: '', version: 0 }, 10);
      expect([old.version, current.version]).toEqual([1, 2]);
      await pause(20);

      // An older version: only that version changes.
      const rotation = auditOf('rotate', 're.a', old.writeId);
      expect(await repository.reencryptVersion(old, encrypted('k1', '{"ct":"one"}'), rotation)).toBe(true);
      const rotated = (await repository.getSecretVersion('re.a', 1))!;
      expect(rotated).toEqual({
        ...old,
        valueJson: expect.any(String) as string,
        encoding: 'aes-256-gcm',
        keyId: 'k1',
      });
      expect(JSON.parse(rotated.valueJson)).toEqual({ ct: 'one' });
      expect(await repository.getSecret('re.a')).toEqual(before);

      // Stale: re-encrypted since it was listed, another write, another key, gone.
      const refused = auditOf('rotate', 're.a', old.writeId);
      expect(await repository.reencryptVersion(old, encrypted('k1', '{"ct":"again"}'), refused)).toBe(false);
      expect(await repository.reencryptVersion({ ...current, writeId: 'another' }, encrypted('k1'), refused)).toBe(
        false,
      );
      expect(await repository.reencryptVersion({ ...current, writeId: null }, encrypted('k1'), refused)).toBe(false);
      expect(
        await repository.reencryptVersion({ ...current, encoding: 'triggerdev-v2' }, encrypted('k1'), refused),
      ).toBe(false);
      expect(await repository.reencryptVersion({ ...current, version: 3 }, encrypted('k1'), refused)).toBe(false);
      expect(await repository.reencryptVersion({ ...current, key: 're.none' }, encrypted('k1'), refused)).toBe(false);
      expect(JSON.parse((await repository.getSecretVersion('re.a', 1))!.valueJson)).toEqual({ ct: 'one' });

      // The current version: the current value changes with it; its version, times and write stay.
      const currentRotation = auditOf('rotate', 're.a', current.writeId);
      expect(await repository.reencryptVersion(current, encrypted('k1', '{"ct":"two"}'), currentRotation)).toBe(true);
      const after = (await repository.getSecret('re.a'))!;
      expect(after).toEqual({
        ...before,
        valueJson: expect.any(String) as string,
        encoding: 'aes-256-gcm',
        keyId: 'k1',
      });
      expect(JSON.parse(after.valueJson)).toEqual({ ct: 'two' });
      expect(await repository.listVersionsToRotate('k1', { key: '', version: 0 }, 10)).toEqual([]);

      // A destroyed version has nothing to re-encrypt.
      await destroy('re.a', [1]);
      expect(await repository.reencryptVersion(rotated, encrypted('k2'), refused)).toBe(false);

      expect(await recordsOf('rotate')).toEqual([
        recordOf(rotation, { versions: [1] }),
        recordOf(currentRotation, { versions: [2] }),
      ]);
    });

    it('re-encrypts the current version of a deleted secret, which comes back re-encrypted', async () => {
      await set('rd.a', plain('{"n":1}'));
      await set('rd.a', plain('{"n":2}'));
      const [, current] = await repository.listVersionsToRotate('k1', { key: 'rd.a', version: 0 }, 10);
      await softDelete('rd.a');
      // Deleted, its current version is re-encrypted with the value it comes back with.
      expect(await repository.reencryptVersion(current, encrypted('k1', '{"ct":"2"}'), auditOf('rotate', 'rd.a'))).toBe(
        true,
      );
      await repository.undeleteSecret('rd.a', auditOf('undelete', 'rd.a'));
      expect(await repository.getSecret('rd.a')).toMatchObject({ version: 2, encoding: 'aes-256-gcm', keyId: 'k1' });
    });

    it('counts the kept versions with a value by encoding, then key id', async () => {
      expect(await repository.countSecretsByEncryption()).toEqual([]);
      // Key ids of lowercase letters and digits: they sort the same in every collation.
      await set('c.1', encrypted('k2'));
      await set('c.1', encrypted('k1'));
      await set('c.2', triggerDev());
      await set('c.3', encrypted('k1'));
      await set('c.4', plain('{}'));
      await set('c.4', plain('{}'));
      await destroy('c.4', [1]);
      await set('c.5', encrypted('k1'));
      await softDelete('c.5');
      await set('c.6', plain('{}'));
      await destroy('c.6', undefined);

      expect(await repository.countSecretsByEncryption()).toEqual([
        { encoding: 'aes-256-gcm', keyId: 'k1', secrets: 3 },
        { encoding: 'aes-256-gcm', keyId: 'k2', secrets: 1 },
        { encoding: 'plain', keyId: null, secrets: 1 },
        { encoding: 'triggerdev-v2', keyId: null, secrets: 1 },
      ]);

      // Pruned versions are not counted.
      await set('c.1', plain('{}'), { maxVersions: 1 });
      expect(await repository.countSecretsByEncryption()).toEqual([
        { encoding: 'aes-256-gcm', keyId: 'k1', secrets: 2 },
        { encoding: 'plain', keyId: null, secrets: 2 },
        { encoding: 'triggerdev-v2', keyId: null, secrets: 1 },
      ]);
    });

    it('records the first fingerprint of a key id and keeps it, listing them by key id', async () => {
      expect(await repository.getKeyFingerprints()).toEqual([]);

      expect(await repository.recordKeyFingerprint('k2', 'fingerprint-2')).toBe('fingerprint-2');
      expect(await repository.recordKeyFingerprint('k2', 'another')).toBe('fingerprint-2');
      expect(await repository.recordKeyFingerprint('k1', 'fingerprint-1')).toBe('fingerprint-1');

      expect(await repository.getKeyFingerprints()).toEqual([
        { keyId: 'k1', fingerprint: 'fingerprint-1' },
        { keyId: 'k2', fingerprint: 'fingerprint-2' },
      ]);
    });
  });

  describe('audit trail', () => {
    it('appends records of reads, and reads the trail by key, after a position, up to a limit, or by id', async () => {
      await set('t.a', plain('{}'));
      const read = auditOf('read', 't.a', 'write-read');
      await repository.appendAuditRecord(read, [1], []);
      const readOfMany = auditOf('read', null);
      await repository.appendAuditRecord(readOfMany, [], ['t.a', 't.b']);
      await set('t.b', plain('{}'));

      const all = await auditTrail();
      expect(all.map((record) => [record.operation, record.key])).toEqual([
        ['set', 't.a'],
        ['read', 't.a'],
        ['read', null],
        ['set', 't.b'],
      ]);
      expect(all.map((record) => record.seq)).toEqual([...all.map((record) => record.seq)].sort((a, b) => a - b));
      expect(new Set(all.map((record) => record.seq)).size).toBe(4);
      expect(all[1]).toEqual(recordOf(read, { versions: [1] }));
      expect(all[2]).toEqual(recordOf(readOfMany, { keys: ['t.a', 't.b'] }));

      expect(await auditTrail('t.a')).toEqual(all.slice(0, 2));
      expect(await auditTrail('t.none')).toEqual([]);
      expect(await repository.readAuditRecords({ afterSeq: all[1].seq, limit: 100 })).toEqual(all.slice(2));
      expect(await repository.readAuditRecords({ afterSeq: 0, limit: 2 })).toEqual(all.slice(0, 2));
      expect(await repository.readAuditRecords({ key: 't.a', afterSeq: all[0].seq, limit: 100 })).toEqual([all[1]]);
      expect(await repository.readAuditRecords({ afterSeq: all[3].seq, limit: 100 })).toEqual([]);

      expect(await repository.findAuditRecords([all[3].id, 'unknown-id', all[1].id])).toEqual([all[1], all[3]]);
      expect(await repository.findAuditRecords([])).toEqual([]);
    });

    it('seals records under checkpoints: unsealed and sealed reads, checkpoints in order, resealed in place', async () => {
      for (const key of ['s.a', 's.b', 's.c', 's.d']) await set(key, plain('{}'));
      const [a, b, c, d] = await repository.readUnsealedAuditRecords(0, 100);
      expect([a, b, c, d].map((record) => record.key)).toEqual(['s.a', 's.b', 's.c', 's.d']);

      const first = await repository.sealAuditRecords(
        { records: 2, digest: 'digest-1', previousMac: '', macKeyId: 'mac-key-1', mac: 'mac-1' },
        [a.seq, b.seq],
      );
      expect(first).toEqual({
        seq: expect.any(Number) as number,
        records: 2,
        digest: 'digest-1',
        previousMac: '',
        macKeyId: 'mac-key-1',
        mac: 'mac-1',
        createdAt: expect.any(Date) as Date,
      });
      expect(await repository.readUnsealedAuditRecords(0, 100)).toEqual([c, d]);
      expect(await repository.readUnsealedAuditRecords(c.seq, 100)).toEqual([d]);
      expect(await repository.readUnsealedAuditRecords(0, 1)).toEqual([c]);
      const sealedByFirst = [
        { ...a, sealedBy: first.seq },
        { ...b, sealedBy: first.seq },
      ];
      expect(await repository.readSealedAuditRecords(first.seq, 0, 100)).toEqual(sealedByFirst);
      expect(await repository.readSealedAuditRecords(first.seq, a.seq, 100)).toEqual(sealedByFirst.slice(1));
      expect(await repository.readSealedAuditRecords(first.seq, 0, 1)).toEqual(sealedByFirst.slice(0, 1));

      // A record sealed already stays with its checkpoint.
      const second = await repository.sealAuditRecords(
        { records: 1, digest: 'digest-2', previousMac: 'mac-1', macKeyId: null, mac: 'mac-2' },
        [a.seq, c.seq],
      );
      expect(second.seq).toBeGreaterThan(first.seq);
      expect(await repository.readSealedAuditRecords(second.seq, 0, 100)).toEqual([{ ...c, sealedBy: second.seq }]);
      expect(await repository.readSealedAuditRecords(first.seq, 0, 100)).toEqual(sealedByFirst);
      expect((await auditTrail()).map((record) => record.sealedBy)).toEqual([first.seq, first.seq, second.seq, null]);

      const empty = await repository.sealAuditRecords(
        { records: 0, digest: 'digest-3', previousMac: 'mac-2', macKeyId: null, mac: 'mac-3' },
        [],
      );
      expect(await repository.listAuditCheckpoints()).toEqual([first, second, empty]);
      expect(await repository.readSealedAuditRecords(empty.seq, 0, 100)).toEqual([]);

      await repository.resealAuditCheckpoint(second.seq, 'mac-1-again', 'mac-key-2', 'mac-2-again');
      await repository.resealAuditCheckpoint(empty.seq + 1000, 'nothing', null, 'nothing');
      expect(await repository.listAuditCheckpoints()).toEqual([
        first,
        { ...second, previousMac: 'mac-1-again', macKeyId: 'mac-key-2', mac: 'mac-2-again' },
        empty,
      ]);
      // The audit trail can be locked inside a transaction.
      await expect(repository.transaction((tx) => tx.lockAuditTrail())).resolves.toBeUndefined();
    });

    it('lists the current writes with the write their latest value-setting audit record names', async () => {
      await set('cw.a', plain('{}'), { writeId: 'w-a1' });
      await set('cw.a', plain('{}'), { writeId: 'w-a2' });
      // Neither a metadata update nor a re-encryption sets a value.
      await repository.updateSecretMetadata(
        'cw.a',
        { description: 'x' },
        undefined,
        auditOf('update-metadata', 'cw.a'),
      );
      const [version] = await repository.listVersionsToRotate('k1', { key: 'cw.a', version: 1 }, 1);
      await repository.reencryptVersion(version, encrypted('k1'), auditOf('rotate', 'cw.a', 'w-a2'));
      await set('cw.b', plain('{}'), { writeId: 'w-b1', operation: 'restore' });
      await repository.upsertSecrets([bulk('cw.c', plain('{}'), 'w-c1'), bulk('cw.f', plain('{}'), null)], 10);
      await set('cw.d', plain('{}'), { writeId: 'w-d1' });
      await destroy('cw.d', [1]);
      // A deleted secret keeps its value, and so its write.
      await set('cw.e', plain('{}'), { writeId: 'w-e1' });
      await softDelete('cw.e');
      // The latest record counts: one naming another write, as a forger's would.
      await repository.appendAuditRecord(auditOf('set', 'cw.b', 'w-forged'), [1], []);

      expect(await repository.listCurrentWrites('', 100)).toEqual([
        { key: 'cw.a', version: 2, writeId: 'w-a2', auditedWriteId: 'w-a2' },
        { key: 'cw.b', version: 1, writeId: 'w-b1', auditedWriteId: 'w-forged' },
        { key: 'cw.c', version: 1, writeId: 'w-c1', auditedWriteId: 'w-c1' },
        { key: 'cw.e', version: 1, writeId: 'w-e1', auditedWriteId: 'w-e1' },
        { key: 'cw.f', version: 1, writeId: null, auditedWriteId: null },
      ]);
      expect((await repository.listCurrentWrites('cw.a', 2)).map((write) => write.key)).toEqual(['cw.b', 'cw.c']);
      expect(await repository.listCurrentWrites('cw.f', 100)).toEqual([]);
    });
  });

  describe('transactions', () => {
    it('rolls back every write of a transaction that throws: no row, no version, no metadata, no audit record', async () => {
      await set('kept', plain('{"v":1}'));
      const trail = await auditTrail();
      const versions = await repository.listSecretVersions('kept');

      await expect(
        repository.transaction(async (tx) => {
          await writeTo(tx, 'tx.one', plain('{}'));
          await writeTo(tx, 'kept', plain('{"v":2}'), { metadata: { description: 'rolled back' } });
          await tx.updateSecretMetadata('kept', { tags: { a: '1' } }, undefined, auditOf('update-metadata', 'kept'));
          await tx.deleteSecret('kept', auditOf('delete', 'kept'));
          await tx.upsertSecrets([bulk('tx.bulk', plain('{}'))], MAX_VERSIONS);
          await tx.appendAuditRecord(auditOf('read', 'kept'), [1], []);
          throw new Error('abort the transaction');
        }),
      ).rejects.toThrow('abort the transaction');

      expect(await storedKeys()).toEqual(['kept']);
      expect(await repository.getSecret('kept')).toMatchObject({ version: 1 });
      expect(await repository.getSecretMetadata('kept')).toMatchObject({
        description: null,
        tags: {},
        deletedAt: null,
      });
      expect(await repository.listSecretVersions('kept')).toEqual(versions);
      expect(await repository.listSecretVersions('tx.one')).toEqual([]);
      expect(await repository.listSecretVersions('tx.bulk')).toEqual([]);
      expect(await auditTrail()).toEqual(trail);
    });

    it('puts back tombstones, purges, fingerprints and seals of a transaction that throws, not its positions', async () => {
      await set('kept', plain('{"v":1}'));
      await set('gone', plain('{}'));
      let lastSeqInside = 0;

      await expect(
        repository.transaction(async (tx) => {
          expect(await tx.destroySecretVersions('kept', undefined, auditOf('destroy', 'kept'))).toEqual([1]);
          expect(await writeTo(tx, 'kept', plain('{"v":2}'))).toEqual({ version: 2 });
          await tx.deleteSecret('gone', auditOf('delete', 'gone'));
          expect(await tx.purgeDeletedSecrets(FAR_FUTURE, auditOf('purge', null))).toEqual(['gone']);
          await tx.recordKeyFingerprint('k1', 'fingerprint-1');
          await tx.lockAuditTrail();
          const unsealed = await tx.readUnsealedAuditRecords(0, 100);
          await tx.sealAuditRecords(
            { records: unsealed.length, digest: 'digest', previousMac: '', macKeyId: null, mac: 'mac' },
            unsealed.map((record) => record.seq),
          );
          lastSeqInside = unsealed.at(-1)!.seq;
          throw new Error('abort the transaction');
        }),
      ).rejects.toThrow('abort the transaction');

      expect(await storedKeys()).toEqual(['gone', 'kept']);
      expect(await versionsOf('gone')).toEqual([1]);
      expect(await repository.getKeyFingerprints()).toEqual([]);
      expect(await repository.listAuditCheckpoints()).toEqual([]);
      expect((await repository.readUnsealedAuditRecords(0, 100)).map((record) => record.key)).toEqual(['kept', 'gone']);
      // Had the destroy inside counted, the key would continue from version 2.
      expect(await destroy('kept', undefined)).toEqual([1]);
      expect(await set('kept', plain('{"v":3}'))).toEqual({ version: 2 });
      expect(await repository.recordKeyFingerprint('k1', 'fingerprint-other')).toBe('fingerprint-other');
      // Like a sequence's, a position taken inside is never given again.
      expect((await auditTrail()).at(-1)!.seq).toBeGreaterThan(lastSeqInside);
    });

    it('commits a transaction that resolves, and returns its result', async () => {
      const result = await repository.transaction(async (tx) => {
        await writeTo(tx, 'tx.a', plain('{}'));
        await writeTo(tx, 'tx.b', plain('{}'));
        return (await tx.getSecretsByKeys(['tx.a', 'tx.b'])).length;
      });
      expect(result).toBe(2);
      expect(await storedKeys()).toEqual(['tx.a', 'tx.b']);
      expect(await recordsOf('set')).toHaveLength(2);
    });

    it('gives every statement of a transaction the time the transaction began', async () => {
      await repository.transaction(async (tx) => {
        await writeTo(tx, 'tt.a', plain('{}'));
        await pause(20);
        await writeTo(tx, 'tt.b', plain('{}'));
        await tx.deleteSecret('tt.b', auditOf('delete', 'tt.b'));
      });
      const a = (await repository.getSecretMetadata('tt.a'))!;
      const b = (await repository.getSecretMetadata('tt.b'))!;
      expect(b.createdAt).toEqual(a.createdAt);
      expect(b.deletedAt).toEqual(a.createdAt);
      expect((await auditTrail()).map((record) => record.recordedAt)).toEqual([a.createdAt, a.createdAt, a.createdAt]);
    });

    it('refuses a transaction inside a transaction', async () => {
      await repository.transaction(async (tx) => {
        await expectRejection(
          tx.transaction(async () => undefined),
          TransactionUnsupportedError,
          'TRANSACTION_UNSUPPORTED',
        );
      });
    });
  });
});

// What only a database has: a connection a caller manages (and its transaction), and a schema that can be
// missing. What the in-memory repository also leaves out, untested here: isolation between concurrent
// transactions (it runs them one at a time, and its calls outside them see their writes), the table's
// constraints, which refuse a row no service would write, and JSONB's normalization of the JSON text.
describe('PostgresSecretStoreRepository on the database', () => {
  let repository: PostgresSecretStoreRepository;
  const storedKeys = async (): Promise<string[]> => {
    const { rows } = await testDatabase().database.query('SELECT key FROM secret_store ORDER BY key', []);
    return (rows as { key: string }[]).map((row) => row.key);
  };

  beforeEach(async () => {
    await testDatabase().reset();
    repository = new PostgresSecretStoreRepository(testDatabase().handle);
  });

  it.each(['commit', 'rollback'] as const)("runs inside the caller's own transaction (%s)", async (outcome) => {
    await testDatabase().inCallerTransaction(outcome, async (connection) => {
      const inTransaction = new PostgresSecretStoreRepository(connection);
      await writeTo(inTransaction, 'caller.tx', plain('{}'));
      expect(await inTransaction.getSecret('caller.tx')).toBeDefined();
      // A store over a caller's connection does not open transactions of its own.
      await expect(inTransaction.transaction(async () => undefined)).rejects.toMatchObject({
        code: 'TRANSACTION_UNSUPPORTED',
      });
    });
    expect(await storedKeys()).toEqual(outcome === 'commit' ? ['caller.tx'] : []);
    const { rows } = await testDatabase().database.query('SELECT count(*)::int AS records FROM secret_audit_log', []);
    expect(rows).toEqual([{ records: outcome === 'commit' ? 1 : 0 }]);
  });

  it('reports a missing table as SCHEMA_NOT_MIGRATED without SQL parameters', async () => {
    const { database } = testDatabase();
    await database.query('ALTER TABLE secret_store RENAME TO secret_store_moved', []);
    try {
      const error = await rejectionOf(repository.getSecret('marker-key-7f3a'));
      expect(error).toMatchObject({ code: 'SCHEMA_NOT_MIGRATED', sqlState: '42P01' });
      expect((error as Error).message).toContain('secret_store');
    } finally {
      await database.query('ALTER TABLE secret_store_moved RENAME TO secret_store', []);
    }
  });
});

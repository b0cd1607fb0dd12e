/**
 * A secret's metadata on the real stack: set with a write or changed on its own as JSON Merge Patch, read
 * without the value, validated before anything is written, and never changing the value or its version.
 */
import { z } from 'zod';

import {
  InvalidArgumentError,
  PostgresSecretStoreRepository,
  SecretNotFoundError,
  SecretStore,
  SecretVersionConflictError,
  type SecretMetadataPatch,
} from '../../src';
import { useTestDatabase } from '../harness/database';
import { expectRejection } from '../support/errors';
import { testKeyring } from '../support/test-keyring';

const testDatabase = useTestDatabase();
const Counter = z.object({ n: z.number() });
const expiresAt = new Date('2031-02-03T04:05:06.789Z');
const rotateAfter = new Date('2030-12-24T00:00:00.000Z');
let store: SecretStore;

beforeAll(() => {
  store = new SecretStore(new PostgresSecretStoreRepository(testDatabase().handle), { encryption: testKeyring() });
});

beforeEach(() => testDatabase().reset());

/** Everything a change leaves behind, as text. */
async function storedState(): Promise<unknown[]> {
  const { rows } = await testDatabase().database.query(
    `SELECT 'secret' AS kind, key, version,
            concat_ws('|', value::text, description, tags::text, expires_at::text, rotate_after::text, max_versions)
              AS value
     FROM secret_store
     UNION ALL SELECT 'version', key, version, value::text FROM secret_versions
     UNION ALL SELECT 'audit', key, NULL, operation FROM secret_audit_log
     ORDER BY 1, 2, 3, 4`,
    [],
  );
  return rows;
}

/** The metadata fields a patch can change, as getSecretMetadata reports them. */
async function fieldsOf(key: string) {
  const metadata = await store.getSecretMetadata(key);
  if (metadata === undefined) return undefined;
  const { description, tags, expiresAt: expires, rotateAfter: rotate, maxVersions } = metadata;
  return { description, tags, expiresAt: expires, rotateAfter: rotate, maxVersions };
}

describe('getSecretMetadata', () => {
  it('describes a secret without its value, with every field', async () => {
    await store.setSecret('m.a', { n: 424242 });
    await store.setSecret('m.a', { n: 434343 });

    const metadata = await store.getSecretMetadata('m.a');

    expect(metadata).toEqual({
      key: 'm.a',
      version: 2,
      encoding: 'aes-256-gcm',
      keyId: 'test-k1',
      createdAt: expect.any(Date) as Date,
      updatedAt: expect.any(Date) as Date,
      deletedAt: null,
      description: null,
      tags: {},
      expiresAt: null,
      rotateAfter: null,
      maxVersions: null,
    });
    expect(metadata!.updatedAt.getTime()).toBeGreaterThanOrEqual(metadata!.createdAt.getTime());
    expect(JSON.stringify(metadata)).not.toMatch(/424242|434343/);
  });

  it('describes a deleted secret too, with deletedAt and the metadata it had', async () => {
    await store.setSecret('m.a', { n: 1 }, { metadata: { description: 'kept', tags: { team: 'core' } } });
    await store.deleteSecret('m.a');
    const metadata = await store.getSecretMetadata('m.a');
    expect(metadata).toMatchObject({ key: 'm.a', version: 1, description: 'kept', tags: { team: 'core' } });
    expect(metadata?.deletedAt).toBeInstanceOf(Date);
  });

  it('resolves undefined for a key never written, and refuses an invalid key', async () => {
    expect(await store.getSecretMetadata('m.none')).toBeUndefined();
    await expect(store.getSecretMetadata('')).rejects.toMatchObject({ code: 'INVALID_SECRET_KEY' });
  });
});

describe('setSecret with metadata', () => {
  it('stores every field with the value', async () => {
    await store.setSecret(
      'm.a',
      { n: 1 },
      {
        metadata: {
          description: 'GitHub OAuth',
          tags: { team: 'core', env: 'prod' },
          expiresAt,
          rotateAfter,
          maxVersions: 5,
        },
      },
    );
    expect(await fieldsOf('m.a')).toEqual({
      description: 'GitHub OAuth',
      tags: { team: 'core', env: 'prod' },
      expiresAt,
      rotateAfter,
      maxVersions: 5,
    });
    expect(await store.getSecret(Counter, 'm.a')).toEqual({ n: 1 });
  });

  it('merges into the metadata a secret has, and a write without metadata keeps it', async () => {
    await store.setSecret('m.a', { n: 1 }, { metadata: { description: 'one', tags: { a: '1', b: '2' } } });
    await store.setSecret('m.a', { n: 2 });
    expect(await fieldsOf('m.a')).toMatchObject({ description: 'one', tags: { a: '1', b: '2' } });

    await store.setSecret('m.a', { n: 3 }, { metadata: { tags: { b: null, c: '3' }, expiresAt } });
    expect(await fieldsOf('m.a')).toEqual({
      description: 'one',
      tags: { a: '1', c: '3' },
      expiresAt,
      rotateAfter: null,
      maxVersions: null,
    });
  });

  it('applies metadata to the write it goes with only: a refused compare-and-set changes neither', async () => {
    await store.setSecret('m.a', { n: 1 }, { metadata: { description: 'one' } });
    const before = await storedState();
    await expect(
      store.setSecret('m.a', { n: 2 }, { ifVersion: 7, metadata: { description: 'two' } }),
    ).rejects.toMatchObject({ code: 'SECRET_VERSION_CONFLICT' });
    expect(await storedState()).toEqual(before);
  });

  it('refuses invalid metadata with INVALID_ARGUMENT naming it, writing nothing', async () => {
    await store.setSecret('m.a', { n: 1 });
    const before = await storedState();
    const error = await expectRejection(
      store.setSecret('m.a', { n: 2 }, { metadata: { tags: { team: 7 } } as unknown as SecretMetadataPatch }),
      InvalidArgumentError,
      'INVALID_ARGUMENT',
    );
    expect(error.argument).toBe('metadata.tags["team"]');
    await expectRejection(
      store.setSecret('m.new', { n: 1 }, { metadata: { colour: 'red' } as unknown as SecretMetadataPatch }),
      InvalidArgumentError,
      'INVALID_ARGUMENT',
    );
    expect(await storedState()).toEqual(before);
  });
});

describe('updateSecretMetadata as JSON Merge Patch', () => {
  beforeEach(async () => {
    await store.setSecret('m.a', { n: 1 });
    await store.setSecret(
      'm.a',
      { n: 2 },
      { metadata: { description: 'two', tags: { a: '1', b: '2' }, expiresAt, rotateAfter, maxVersions: 4 } },
    );
  });

  it('keeps a field the patch leaves out, or sets to undefined', async () => {
    const updated = await store.updateSecretMetadata('m.a', { description: undefined });
    expect(updated).toMatchObject({
      description: 'two',
      tags: { a: '1', b: '2' },
      expiresAt,
      rotateAfter,
      maxVersions: 4,
    });
  });

  it('replaces fields the patch sets, and resolves the metadata the secret now has', async () => {
    const later = new Date('2032-01-01T00:00:00.000Z');
    const updated = await store.updateSecretMetadata('m.a', { description: 'new', expiresAt: later, maxVersions: 9 });
    expect(updated).toEqual(await store.getSecretMetadata('m.a'));
    expect(await fieldsOf('m.a')).toEqual({
      description: 'new',
      tags: { a: '1', b: '2' },
      expiresAt: later,
      rotateAfter,
      maxVersions: 9,
    });
  });

  it('removes a field set to null', async () => {
    await store.updateSecretMetadata('m.a', {
      description: null,
      expiresAt: null,
      rotateAfter: null,
      maxVersions: null,
    });
    expect(await fieldsOf('m.a')).toEqual({
      description: null,
      tags: { a: '1', b: '2' },
      expiresAt: null,
      rotateAfter: null,
      maxVersions: null,
    });
  });

  it('merges tags: a tag set is added or replaced, a tag set to null removed, the rest kept', async () => {
    await store.updateSecretMetadata('m.a', { tags: { b: 'two', c: '3', a: null } });
    expect((await fieldsOf('m.a'))?.tags).toEqual({ b: 'two', c: '3' });
    // Removing a tag that is not there is no error.
    await store.updateSecretMetadata('m.a', { tags: { missing: null } });
    expect((await fieldsOf('m.a'))?.tags).toEqual({ b: 'two', c: '3' });
  });

  it('removes every tag with tags: null, and adds to none with the next patch', async () => {
    await store.updateSecretMetadata('m.a', { tags: null });
    expect((await fieldsOf('m.a'))?.tags).toEqual({});
    await store.updateSecretMetadata('m.a', { tags: { fresh: 'yes' } });
    expect((await fieldsOf('m.a'))?.tags).toEqual({ fresh: 'yes' });
  });

  it('takes a tag named __proto__ as any other', async () => {
    const tags = JSON.parse('{"__proto__":"p","constructor":"c"}') as Record<string, string>;
    await store.updateSecretMetadata('m.a', { tags });
    const stored = (await fieldsOf('m.a'))!.tags;
    expect(Object.keys(stored).sort()).toEqual(['__proto__', 'a', 'b', 'constructor']);
    expect(Object.getPrototypeOf(stored)).toBe(Object.prototype);
  });

  it('never changes the value, its version or its history', async () => {
    await store.updateSecretMetadata('m.a', { description: 'changed', tags: null });
    expect(await store.getSecretWithMetadata(Counter, 'm.a')).toMatchObject({ value: { n: 2 }, version: 2 });
    expect((await store.listSecretVersions('m.a')).map(({ version }) => version)).toEqual([2, 1]);
  });

  it('records each change in the audit trail at the version it applies to', async () => {
    await store.updateSecretMetadata('m.a', { description: 'three' }, { actor: 'ops' });
    const { records } = await store.readAuditTrail({ key: 'm.a' });
    expect(records.at(-1)).toMatchObject({ operation: 'update-metadata', key: 'm.a', versions: [2], actor: 'ops' });
  });
});

describe('updateSecretMetadata refuses', () => {
  beforeEach(async () => {
    await store.setSecret('m.a', { n: 1 });
    await store.setSecret('m.a', { n: 2 }, { metadata: { description: 'two' } });
  });

  it('a patch at another version with SecretVersionConflictError, changing nothing; the right one applies', async () => {
    const before = await storedState();
    const error = await expectRejection(
      store.updateSecretMetadata('m.a', { description: 'stale' }, { ifVersion: 1 }),
      SecretVersionConflictError,
      'SECRET_VERSION_CONFLICT',
    );
    expect(error).toMatchObject({ key: 'm.a', expectedVersion: 1, currentVersion: 2 });
    expect(await storedState()).toEqual(before);

    expect(await store.updateSecretMetadata('m.a', { description: 'fresh' }, { ifVersion: 2 })).toMatchObject({
      description: 'fresh',
      version: 2,
    });
  });

  it('a missing or deleted secret with SecretNotFoundError, changing nothing', async () => {
    await store.setSecret('m.deleted', { n: 1 });
    await store.deleteSecret('m.deleted');
    const before = await storedState();
    for (const key of ['m.none', 'm.deleted']) {
      const error = await expectRejection(
        store.updateSecretMetadata(key, { description: 'x' }),
        SecretNotFoundError,
        'SECRET_NOT_FOUND',
      );
      expect(error.key).toBe(key);
      await expectRejection(
        store.updateSecretMetadata(key, { description: 'x' }, { ifVersion: 1 }),
        SecretNotFoundError,
        'SECRET_NOT_FOUND',
      );
    }
    expect(await storedState()).toEqual(before);
  });

  const longText = (length: number) => 'x'.repeat(length);
  const manyTags = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`t${i}`, 'v']));

  it.each<[string, unknown, string]>([
    ['a patch that is null', null, 'patch'],
    ['a patch that is an array', [], 'patch'],
    ['a patch that is a Map', new Map([['description', 'x']]), 'patch'],
    ['an unknown field', { colour: 'red' }, 'patch'],
    ['a description that is not text', { description: 5 }, 'patch.description'],
    ['a description of 1,001 characters', { description: longText(1001) }, 'patch.description'],
    ['tags that are an array', { tags: ['a'] }, 'patch.tags'],
    ['a tag value that is a number', { tags: { a: 1 } }, 'patch.tags["a"]'],
    ['a tag value of 513 characters', { tags: { a: longText(513) } }, 'patch.tags["a"]'],
    ['an empty tag name', { tags: { '': 'v' } }, 'patch.tags'],
    ['a tag name of 129 characters', { tags: { [longText(129)]: 'v' } }, 'patch.tags'],
    ['65 tags', { tags: manyTags }, 'patch.tags'],
    ['expiresAt as text', { expiresAt: '2031-01-01T00:00:00Z' }, 'patch.expiresAt'],
    ['an invalid Date', { expiresAt: new Date(Number.NaN) }, 'patch.expiresAt'],
    ['rotateAfter as a number', { rotateAfter: Date.now() }, 'patch.rotateAfter'],
    ['maxVersions 0', { maxVersions: 0 }, 'patch.maxVersions'],
    ['maxVersions 1,001', { maxVersions: 1001 }, 'patch.maxVersions'],
    ['a fractional maxVersions', { maxVersions: 2.5 }, 'patch.maxVersions'],
  ])('%s with INVALID_ARGUMENT naming it, changing nothing', async (_name, patch, argument) => {
    const before = await storedState();
    const error = await expectRejection(
      store.updateSecretMetadata('m.a', patch as SecretMetadataPatch),
      InvalidArgumentError,
      'INVALID_ARGUMENT',
    );
    expect(error.argument).toBe(argument);
    expect(await storedState()).toEqual(before);
  });

  it.each<[string, unknown, string]>([
    ['a negative ifVersion', { ifVersion: -1 }, 'ifVersion'],
    ['an actor of 257 characters', { actor: 'a'.repeat(257) }, 'actor'],
    ['options that are not an object', 'ops', 'options'],
  ])('%s with INVALID_ARGUMENT, changing nothing', async (_name, options, argument) => {
    const before = await storedState();
    const error = await expectRejection(
      store.updateSecretMetadata('m.a', { description: 'x' }, options as never),
      InvalidArgumentError,
      'INVALID_ARGUMENT',
    );
    expect(error.argument).toBe(argument);
    expect(await storedState()).toEqual(before);
  });

  it('accepts the largest values each field allows', async () => {
    const tags = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`${i}`.padEnd(128, 'n'), 'v'.repeat(512)]));
    const updated = await store.updateSecretMetadata('m.a', {
      description: 'd'.repeat(1000),
      tags,
      maxVersions: 1000,
    });
    expect(updated.description).toHaveLength(1000);
    expect(Object.keys(updated.tags)).toHaveLength(64);
    expect(updated.maxVersions).toBe(1000);
  });
});

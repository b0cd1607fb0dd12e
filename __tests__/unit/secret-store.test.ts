import { inspect } from 'node:util';

import type { StandardSchemaV1 } from '@standard-schema/spec';
import { z } from 'zod';

import {
  generateEncryptionKey,
  InvalidArgumentError,
  InvalidSecretKeyError,
  SecretCorruptError,
  SecretNotFoundError,
  SecretStore,
  SecretStoreConfigError,
  SecretValidationError,
  SecretValueTooLargeError,
  parseEncryptionKeys,
  type SecretSchema,
  type SecretStoreOptions,
  type SecretStoreRepository,
} from '../../src';
import { secretStoreOver } from '../../src/secretstore/secret-store';
import { StoreCore } from '../../src/secretstore/store-core';
import { expectRejection, expectThrow } from '../support/errors';
import {
  calledMethods,
  mockSecretStoreRepository,
  secretRecord,
  upsertedValue,
} from '../support/mock-secret-store-repository';

// Stands for a secret value: it must never show up in an error.
const MARKER = 'sk_live_MARKER_5f1c9e';

const credentials = z.object({ user: z.string(), scopes: z.array(z.string()) });

function standardSchema<T>(validate: StandardSchemaV1.Props<unknown, T>['validate']): SecretSchema<T> {
  return { '~standard': { version: 1, vendor: 'test', validate } };
}

let repository: jest.Mocked<SecretStoreRepository>;
let store: SecretStore;

beforeEach(() => {
  repository = mockSecretStoreRepository();
  store = new SecretStore(repository, { encryption: 'none' });
});

describe('construction', () => {
  it.each([
    ['maxValueBytes', 0],
    ['maxValueBytes', -1],
    ['maxValueBytes', 1.5],
    ['maxValueBytes', Number.NaN],
    ['maxDepth', 0],
    ['maxDepth', -1],
    ['maxDepth', 1.5],
    ['maxDepth', Number.NaN],
    ['maxDepth', Number.POSITIVE_INFINITY],
  ] as const)('refuses %s = %p with SecretStoreConfigError naming the setting', (setting, value) => {
    const options: SecretStoreOptions = { encryption: 'none', [setting]: value };

    const thrown = expectThrow(
      () => new SecretStore(repository, options),
      SecretStoreConfigError,
      'INVALID_CONFIGURATION',
    );

    expect(thrown).toMatchObject({ setting });
  });
});

describe('getSecret', () => {
  it('returns undefined when the repository has no record', async () => {
    repository.getSecret.mockResolvedValue(undefined);

    await expect(store.getSecret(credentials, 'svc/db')).resolves.toBeUndefined();
    expect(repository.getSecret).toHaveBeenCalledWith('svc/db');
  });

  it("returns the schema's output for the stored JSON, transformations included", async () => {
    repository.getSecret.mockResolvedValue(
      secretRecord('svc/db', '{"user":"app","scopes":["read","write"],"extra":1}'),
    );
    const schema = credentials.transform(({ user, scopes }) => ({
      login: user.toUpperCase(),
      scopeCount: scopes.length,
    }));

    await expect(store.getSecret(schema, 'svc/db')).resolves.toEqual({ login: 'APP', scopeCount: 2 });
  });

  it('throws SecretValidationError with the failing paths and without the stored value or the schema messages', async () => {
    const stored = { user: MARKER, scopes: ['scope:read', MARKER, 'scope:write', `${MARKER}-2`] };
    repository.getSecret.mockResolvedValue(secretRecord('svc/api', JSON.stringify(stored)));
    // This schema's own messages quote the value, as many schemas do.
    const quoting = z.object({
      user: z.string(),
      scopes: z.array(
        z.string().refine((s) => s.startsWith('scope:'), { error: (issue) => `bad scope ${String(issue.input)}` }),
      ),
    });

    const error = await expectRejection(
      store.getSecret(quoting, 'svc/api'),
      SecretValidationError,
      'SECRET_VALIDATION_FAILED',
    );

    expect(error).toMatchObject({ key: 'svc/api', paths: ['$.scopes[1]', '$.scopes[3]'] });
    expect(error.message).toContain('"svc/api"');
    expect(error.message).not.toContain(MARKER);
    expect(inspect(error, { showHidden: true, depth: Infinity })).not.toContain(MARKER);
  });

  it.each<[string, SecretSchema<unknown>, unknown, string[]]>([
    ['a zod path with a non-identifier name', z.object({ 'api-key': z.string() }), { 'api-key': 1 }, ['$["api-key"]']],
    ['a value failing at the top', z.array(z.string()), { not: 'an array' }, ['$']],
  ])('reports %s', async (_, schema, stored, paths) => {
    repository.getSecret.mockResolvedValue(secretRecord('k', JSON.stringify(stored)));

    await expect(store.getSecret(schema, 'k')).rejects.toMatchObject({ paths });
  });

  it('renders path segments given as objects and symbols, and lists each path once', async () => {
    const schema = standardSchema(() => ({
      issues: [
        { message: 'x', path: [{ key: 'outer' }, 0, Symbol('tag')] },
        { message: 'y', path: [{ key: 'outer' }, 0, Symbol('tag')] },
        { message: 'z' },
      ],
    }));
    repository.getSecret.mockResolvedValue(secretRecord('k', '{}'));

    await expect(store.getSecret(schema, 'k')).rejects.toMatchObject({ paths: ['$.outer[0][Symbol(tag)]', '$'] });
  });

  it('reports $ for a failure without issues', async () => {
    repository.getSecret.mockResolvedValue(secretRecord('k', '{}'));

    const error = await expectRejection(
      store.getSecret(
        standardSchema(() => ({ issues: [] })),
        'k',
      ),
      SecretValidationError,
      'SECRET_VALIDATION_FAILED',
    );
    expect(error).toMatchObject({ paths: ['$'] });
  });

  describe('with an async schema', () => {
    const token = z.object({ token: z.string() }).refine(async ({ token: value }) => value.startsWith('tok_'));

    it('resolves to the parsed value', async () => {
      repository.getSecret.mockResolvedValue(secretRecord('k', '{"token":"tok_1","dropped":true}'));

      await expect(store.getSecret(token, 'k')).resolves.toEqual({ token: 'tok_1' });
    });

    it('rejects with SecretValidationError when the refinement fails', async () => {
      repository.getSecret.mockResolvedValue(secretRecord('k', JSON.stringify({ token: MARKER })));

      const error = await expectRejection(
        store.getSecret(token, 'k'),
        SecretValidationError,
        'SECRET_VALIDATION_FAILED',
      );

      expect(error).toMatchObject({ key: 'k', paths: ['$'] });
      expect(inspect(error)).not.toContain(MARKER);
    });

    it('accepts a hand-written validator that returns a promise', async () => {
      repository.getSecret.mockResolvedValue(secretRecord('k', '{"n":2}'));
      const doubled = standardSchema(async (value) => ({ value: (value as { n: number }).n * 2 }));

      await expect(store.getSecret(doubled, 'k')).resolves.toBe(4);
    });
  });

  it('throws SecretCorruptError for stored text that is not JSON, without quoting it', async () => {
    repository.getSecret.mockResolvedValue(secretRecord('svc/db', `{"password": "${MARKER}"`));

    const error = await expectRejection(store.getSecret(credentials, 'svc/db'), SecretCorruptError, 'SECRET_CORRUPT');

    expect(error).toMatchObject({ key: 'svc/db' });
    expect(inspect(error)).not.toContain(MARKER);
  });
});

describe('schemas that are not Standard Schema v1 validators', () => {
  const notSchemas: [string, unknown][] = [
    ['a plain object', { parse: (value: unknown) => value }],
    ['null', null],
    ['a version 2 validator', { '~standard': { version: 2, vendor: 'x', validate: () => ({ value: 1 }) } }],
    ['a validator without validate()', { '~standard': { version: 1, vendor: 'x' } }],
  ];
  const reads: [string, (schema: SecretSchema<unknown>) => Promise<unknown>][] = [
    ['getSecret', (schema) => store.getSecret(schema, 'k')],
    ['getSecretOrThrow', (schema) => store.getSecretOrThrow(schema, 'k')],
    ['getSecrets', (schema) => store.getSecrets(schema, 'k')],
    ['getSecretsByKeys', (schema) => store.getSecretsByKeys(schema, ['k'])],
  ];

  describe.each(reads)('%s', (_, read) => {
    it.each(notSchemas)('refuses %s with InvalidArgumentError before reading', async (__, schema) => {
      const error = await expectRejection(
        read(schema as SecretSchema<unknown>),
        InvalidArgumentError,
        'INVALID_ARGUMENT',
      );
      expect(error).toMatchObject({ argument: 'schema' });
      expect(calledMethods(repository)).toEqual([]);
    });
  });
});

describe('getSecretOrThrow', () => {
  it('returns the parsed value when the secret exists', async () => {
    repository.getSecret.mockResolvedValue(secretRecord('svc/db', '{"user":"app","scopes":[]}'));

    await expect(store.getSecretOrThrow(credentials, 'svc/db')).resolves.toEqual({ user: 'app', scopes: [] });
  });

  it('throws SecretNotFoundError naming the key when it does not', async () => {
    repository.getSecret.mockResolvedValue(undefined);

    const error = await expectRejection(
      store.getSecretOrThrow(credentials, 'svc/missing'),
      SecretNotFoundError,
      'SECRET_NOT_FOUND',
    );

    expect(error).toMatchObject({ key: 'svc/missing' });
    expect(error.message).toContain('"svc/missing"');
  });
});

describe('deleteSecret', () => {
  it.each([true, false])("returns the repository's answer (%p)", async (existed) => {
    repository.deleteSecret.mockResolvedValue(existed);

    await expect(store.deleteSecret('svc/db')).resolves.toBe(existed);
    expect(repository.deleteSecret).toHaveBeenCalledWith(
      'svc/db',
      expect.objectContaining({ operation: 'delete', key: 'svc/db', actor: null }),
    );
  });
});

describe('getSecrets', () => {
  it.each(['', 'svc/', '100%_off\\', 'ends in space '])(
    'passes the prefix %p to the repository as it is',
    async (prefix) => {
      repository.listSecretsByPrefix.mockResolvedValue([]);

      await expect(store.getSecrets(credentials, prefix)).resolves.toEqual([]);
      expect(repository.listSecretsByPrefix).toHaveBeenCalledWith(prefix);
    },
  );

  it('refuses a prefix with a control character before reading', async () => {
    await expect(store.getSecrets(credentials, 'svc/\n')).rejects.toBeInstanceOf(InvalidSecretKeyError);
    expect(repository.listSecretsByPrefix).not.toHaveBeenCalled();
  });

  it('returns every record parsed by the schema, in the repository order', async () => {
    repository.listSecretsByPrefix.mockResolvedValue([
      secretRecord('svc/a', '{"user":"a","scopes":["x"]}'),
      secretRecord('svc/b', '{"user":"b","scopes":[],"extra":true}'),
    ]);

    await expect(store.getSecrets(credentials, 'svc/')).resolves.toEqual([
      { key: 'svc/a', value: { user: 'a', scopes: ['x'] } },
      { key: 'svc/b', value: { user: 'b', scopes: [] } },
    ]);
  });

  it.each([
    ['a later record also fails the schema', '{"user":2}'],
    ['a later record is corrupt', 'not json'],
  ])('names the first record that fails the schema when %s', async (_, laterJson) => {
    repository.listSecretsByPrefix.mockResolvedValue([
      secretRecord('svc/a', '{"user":"a","scopes":[]}'),
      secretRecord('svc/b', '{"user":"b","scopes":"all"}'),
      secretRecord('svc/c', laterJson),
    ]);

    const error = await expectRejection(
      store.getSecrets(credentials, 'svc/'),
      SecretValidationError,
      'SECRET_VALIDATION_FAILED',
    );

    expect(error).toMatchObject({ key: 'svc/b', paths: ['$.scopes'] });
  });
});

describe('getSecretsByKeys', () => {
  it('returns [] for no keys without asking the repository', async () => {
    await expect(store.getSecretsByKeys(credentials, [])).resolves.toEqual([]);
    expect(calledMethods(repository)).toEqual([]);
  });

  it('asks for each key once and parses the records', async () => {
    repository.getSecretsByKeys.mockResolvedValue([secretRecord('a', '{"user":"a","scopes":[]}')]);

    await expect(store.getSecretsByKeys(credentials, ['b', 'a', 'b', 'a'])).resolves.toEqual([
      { key: 'a', value: { user: 'a', scopes: [] } },
    ]);
    expect(repository.getSecretsByKeys).toHaveBeenCalledWith(['b', 'a']);
  });

  it('refuses a list with an invalid key before reading', async () => {
    const error = await expectRejection(
      store.getSecretsByKeys(credentials, ['ok', ' padded']),
      InvalidSecretKeyError,
      'INVALID_SECRET_KEY',
    );

    expect(error).toMatchObject({ key: ' padded' });
    expect(calledMethods(repository)).toEqual([]);
  });

  it.each([
    ['a string', 'svc/db'],
    ['null', null],
    ['a Set', new Set(['a'])],
  ])('refuses %s in place of the array', async (_, keys) => {
    const error = await expectRejection(
      store.getSecretsByKeys(credentials, keys as unknown as string[]),
      InvalidArgumentError,
      'INVALID_ARGUMENT',
    );
    expect(error).toMatchObject({ argument: 'keys' });
    expect(calledMethods(repository)).toEqual([]);
  });
});

describe('transaction', () => {
  let transactional: jest.Mocked<SecretStoreRepository>;

  beforeEach(() => {
    transactional = mockSecretStoreRepository();
    repository.transaction.mockImplementation((work) => work(transactional));
  });

  it("runs work with a store over the repository's transaction and returns its result", async () => {
    transactional.getSecret.mockResolvedValue(secretRecord('k', '{"user":"u","scopes":[]}'));
    transactional.deleteSecret.mockResolvedValue(true);

    const result = await store.transaction(async (tx) => {
      expect(tx).toBeInstanceOf(SecretStore);
      expect(tx).not.toBe(store);
      await tx.setSecret('k', { n: 1 });
      await tx.deleteSecret('old');
      return tx.getSecret(credentials, 'k');
    });

    expect(result).toEqual({ user: 'u', scopes: [] });
    expect(repository.transaction).toHaveBeenCalledTimes(1);
    expect(transactional.writeSecret).toHaveBeenCalledWith(
      'k',
      { valueJson: '{"n":1}', encoding: 'plain', keyId: null, writeId: expect.any(String) as unknown },
      expect.objectContaining({ operation: 'set', maxVersions: 10 }),
    );
    expect(calledMethods(transactional)).toEqual(['getSecret', 'writeSecret', 'deleteSecret']);
    expect(calledMethods(repository)).toEqual(['transaction']);
  });

  it("keeps the store's limits inside the transaction", async () => {
    const limited = new SecretStore(repository, { encryption: 'none', maxValueBytes: 8 });

    await expect(limited.transaction((tx) => tx.setSecret('k', { long: 'value' }))).rejects.toBeInstanceOf(
      SecretValueTooLargeError,
    );
    expect(transactional.writeSecret).not.toHaveBeenCalled();
  });

  it("keeps the store's encryption inside the transaction", async () => {
    const encrypted = new SecretStore(repository, { encryption: parseEncryptionKeys(`k1:${generateEncryptionKey()}`) });

    await encrypted.transaction((tx) => tx.setSecret('k', { n: 1 }));

    expect(transactional.writeSecret).toHaveBeenCalledWith(
      'k',
      expect.objectContaining({ encoding: 'aes-256-gcm', keyId: 'k1' }),
      expect.objectContaining({ operation: 'set' }),
    );
    expect(upsertedValue(transactional).valueJson).not.toContain('"n"');
  });

  it('lets an error of work through unchanged', async () => {
    const failure = new Error('work failed');

    await expect(store.transaction(() => Promise.reject(failure))).rejects.toBe(failure);
  });
});

describe('close', () => {
  it('resolves without touching a repository the store was given', async () => {
    await expect(store.close()).resolves.toBeUndefined();
    await expect(store.close()).resolves.toBeUndefined();
    expect(calledMethods(repository)).toEqual([]);
  });

  it('releases what the factory gave it to own, once', async () => {
    const release = jest.fn(() => Promise.resolve());
    const location = { kind: 'server' as const, description: 'db:5432/app' };
    const owning = secretStoreOver(repository, StoreCore.fromOptions({ encryption: 'none' }, { location, release }));
    expect(owning.describe().location).toEqual(location);

    await owning.close();
    await owning.close();

    expect(release).toHaveBeenCalledTimes(1);
  });
});

import { z } from 'zod';

import { InvalidSecretKeyError, SecretStore, type SecretStoreRepository } from '../../src';
import { expectRejection, rejectionOf } from '../support/errors';
import { calledMethods, mockSecretStoreRepository, secretRecord } from '../support/mock-secret-store-repository';

const anything = z.unknown();

/** What an InvalidSecretKeyError keeps of the key: a string as it is, anything else not at all. */
const keptKey = (key: unknown) => (typeof key === 'string' ? key : undefined);

let repository: jest.Mocked<SecretStoreRepository>;
let store: SecretStore;

beforeEach(() => {
  repository = mockSecretStoreRepository();
  repository.getSecret.mockImplementation(async (key) => secretRecord(key, '{}'));
  repository.getSecretsByKeys.mockResolvedValue([]);
  repository.listSecretsByPrefix.mockResolvedValue([]);
  repository.deleteSecret.mockResolvedValue(false);
  store = new SecretStore(repository, { encryption: 'none' });
});

interface KeyedMethod {
  call(key: unknown): Promise<unknown>;
  /** The repository call a valid key leads to. */
  reaches(key: string): [keyof SecretStoreRepository, unknown[]];
}

const methods: [string, KeyedMethod][] = [
  ['getSecret', { call: (key) => store.getSecret(anything, key as string), reaches: (key) => ['getSecret', [key]] }],
  [
    'getSecretOrThrow',
    {
      call: (key) => store.getSecretOrThrow(anything, key as string),
      reaches: (key) => ['getSecret', [key]],
    },
  ],
  [
    'setSecret',
    {
      call: (key) => store.setSecret(key as string, { a: 1 }),
      reaches: (key) => [
        'writeSecret',
        [
          key,
          { valueJson: '{"a":1}', encoding: 'plain', keyId: null, writeId: expect.any(String) as unknown },
          expect.objectContaining({ operation: 'set' }),
        ],
      ],
    },
  ],
  [
    'deleteSecret',
    {
      call: (key) => store.deleteSecret(key as string),
      reaches: (key) => ['deleteSecret', [key, expect.objectContaining({ operation: 'delete', key })]],
    },
  ],
  [
    'getSecretsByKeys',
    {
      call: (key) => store.getSecretsByKeys(anything, [key as string]),
      reaches: (key) => ['getSecretsByKeys', [[key]]],
    },
  ],
];

const invalidKeys: [string, unknown][] = [
  ['an empty string', ''],
  ['a number', 42],
  ['null', null],
  ['undefined', undefined],
  ['an object', { key: 'svc/db' }],
  ['1025 bytes of ASCII', 'a'.repeat(1025)],
  ['1025 bytes in 513 characters', `${'é'.repeat(512)}a`],
  ['NUL', 'svc/\u0000db'],
  ['a newline', 'svc/\ndb'],
  ['a tab', 'svc/\tdb'],
  ['DEL', 'svc/\u007fdb'],
  ['NEL (C1 control)', 'svc/\u0085db'],
  ['a leading space', ' svc/db'],
  ['a trailing space', 'svc/db '],
  ['a leading no-break space', '\u00a0svc/db'],
  ['a trailing no-break space', 'svc/db\u00a0'],
  ['a lone high surrogate', 'svc/\uD800db'],
  ['a lone low surrogate at the end', 'svc/db\uDFFF'],
];

const validKeys: [string, string][] = [
  ['one character', 'k'],
  ['1024 bytes of ASCII', 'a'.repeat(1024)],
  ['1024 bytes in 512 characters', 'é'.repeat(512)],
  ['unicode with an astral character', 'clé.🔑'],
  ['inner spaces and punctuation', 'app / db:primary %_\\'],
];

describe.each(methods)('%s', (_, method) => {
  it.each(invalidKeys)('refuses %s with InvalidSecretKeyError before calling the repository', async (__, key) => {
    const error = await expectRejection(method.call(key), InvalidSecretKeyError, 'INVALID_SECRET_KEY');

    expect(error).toMatchObject({ key: keptKey(key) });
    expect(calledMethods(repository)).toEqual([]);
  });

  it.each(validKeys)('accepts %s and passes the key on unchanged', async (__, key) => {
    await method.call(key);

    const [name, args] = method.reaches(key);
    expect(calledMethods(repository)).toEqual([name]);
    expect(repository[name]).toHaveBeenCalledWith(...args);
  });
});

describe('error messages', () => {
  it.each([
    ['an empty key', '', 'must not be empty'],
    ['a non-string', 7, 'must be a string, not number'],
    ['a long key', 'a'.repeat(1025), 'longer than 1024 bytes'],
    ['a control character', 'a\tb', 'control character'],
    ['edge whitespace', 'a ', 'whitespace'],
    ['a lone surrogate', 'a\uD800', 'surrogate'],
  ])('say what is wrong with %s', async (_, key, reason) => {
    await expect(store.deleteSecret(key as string)).rejects.toThrow(reason);
  });

  it('show a long key truncated to 80 characters', async () => {
    const error = await rejectionOf(store.deleteSecret(`${'k'.repeat(80)}${'z'.repeat(1000)}`));

    expect((error as Error).message).toContain(`"${'k'.repeat(80)}…"`);
    expect((error as Error).message).not.toContain('z');
  });
});

describe('prefixes of getSecrets', () => {
  it.each([
    ['empty', ''],
    ['ending in whitespace', 'svc/ '],
    ['with LIKE wildcards and backslashes', '50%_\\'],
    ['of exactly 1024 bytes', 'é'.repeat(512)],
  ])('accepts a prefix %s', async (_, prefix) => {
    await store.getSecrets(anything, prefix);

    expect(repository.listSecretsByPrefix).toHaveBeenCalledWith(prefix);
  });

  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['null', null],
    ['a control character', 'svc/\u0000'],
    ['a lone surrogate', '\uD800'],
    ['more than 1024 bytes', 'é'.repeat(513)],
  ])('refuses a prefix with %s before reading', async (_, prefix) => {
    const error = await expectRejection(
      store.getSecrets(anything, prefix as string),
      InvalidSecretKeyError,
      'INVALID_SECRET_KEY',
    );
    expect(error).toMatchObject({ key: keptKey(prefix) });
    expect(calledMethods(repository)).toEqual([]);
  });
});

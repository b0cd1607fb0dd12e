import {
  DatabaseOperationError,
  DatabaseUnavailableError,
  isSecretStoreError,
  InvalidSecretKeyError,
  InvalidSecretValueError,
  MigrationChecksumMismatchError,
  MigrationError,
  SchemaNotMigratedError,
  SecretCorruptError,
  SecretDecryptionError,
  SecretNotFoundError,
  SecretStoreConfigError,
  SecretStoreError,
  SecretValidationError,
  SecretValueTooLargeError,
  SecretVersionConflictError,
  SecretWriteOutcomeUnknownError,
  StatementTimeoutError,
  TransactionConflictError,
  TransactionUnsupportedError,
} from '../../src';
import { describeKey } from '../../src/errors';
import type * as errorsModule from '../../src/errors';

const errors: [string, SecretStoreError, string][] = [
  ['InvalidSecretKeyError', new InvalidSecretKeyError('k', 'why'), 'INVALID_SECRET_KEY'],
  ['InvalidSecretValueError', new InvalidSecretValueError('k', '$.a', 'why'), 'INVALID_SECRET_VALUE'],
  ['SecretValueTooLargeError', new SecretValueTooLargeError('k', 11, 10), 'SECRET_VALUE_TOO_LARGE'],
  ['SecretNotFoundError', new SecretNotFoundError('k'), 'SECRET_NOT_FOUND'],
  ['SecretValidationError', new SecretValidationError('k', ['$']), 'SECRET_VALIDATION_FAILED'],
  ['SecretCorruptError', new SecretCorruptError('k', 'why'), 'SECRET_CORRUPT'],
  ['SecretDecryptionError', new SecretDecryptionError('k', 'k1', 'why'), 'SECRET_DECRYPTION_FAILED'],
  ['SecretStoreConfigError', new SecretStoreConfigError('maxDepth', 'why'), 'INVALID_CONFIGURATION'],
  ['TransactionUnsupportedError', new TransactionUnsupportedError(), 'TRANSACTION_UNSUPPORTED'],
  ['MigrationError', new MigrationError('001_init.sql', 'why'), 'MIGRATION_FAILED'],
  ['MigrationChecksumMismatchError', new MigrationChecksumMismatchError('001_init.sql'), 'MIGRATION_CHECKSUM_MISMATCH'],
  ['DatabaseOperationError', new DatabaseOperationError('Reading', '22P02', 'why'), 'DATABASE_ERROR'],
  ['DatabaseUnavailableError', new DatabaseUnavailableError('Reading', undefined, 'why'), 'DATABASE_UNAVAILABLE'],
  ['StatementTimeoutError', new StatementTimeoutError('Reading', '57014', 'why'), 'STATEMENT_TIMEOUT'],
  ['TransactionConflictError', new TransactionConflictError('Reading', '40001', 'why'), 'TRANSACTION_CONFLICT'],
  ['SchemaNotMigratedError', new SchemaNotMigratedError('Reading', '42P01', 'why'), 'SCHEMA_NOT_MIGRATED'],
];

describe.each(errors)('%s', (className, error, code) => {
  it('is a SecretStoreError and an Error', () => {
    expect(error).toBeInstanceOf(SecretStoreError);
    expect(error).toBeInstanceOf(Error);
  });

  it(`has the code ${code}`, () => {
    expect(error.code).toBe(code);
  });

  it('is named after its class', () => {
    expect(error.name).toBe(className);
    expect(error.constructor.name).toBe(className);
    expect(String(error)).toMatch(new RegExp(`^${className}: `));
  });
});

it.each([
  [SecretValueTooLargeError, InvalidSecretValueError],
  [MigrationChecksumMismatchError, MigrationError],
  [DatabaseUnavailableError, DatabaseOperationError],
  [StatementTimeoutError, DatabaseOperationError],
  [TransactionConflictError, DatabaseOperationError],
  [SchemaNotMigratedError, DatabaseOperationError],
])('%p extends %p', (subclass, superclass) => {
  expect(subclass.prototype).toBeInstanceOf(superclass);
});

describe('InvalidSecretKeyError', () => {
  it.each<[string, unknown, string | undefined, string]>([
    ['a string key', 'svc/db', 'svc/db', '"svc/db"'],
    ['an object, which may be a secret passed in the wrong place', { token: 'sk_live_x' }, undefined, '<object>'],
    ['a number', 42, undefined, '<number>'],
  ])('given %s, keeps the key only if it is a string', (_, key, kept, shown) => {
    const error = new InvalidSecretKeyError(key, 'why');

    expect(error.key).toBe(kept);
    expect(error.message).toBe(`Invalid secret key ${shown}: why`);
  });
});

describe('SecretDecryptionError', () => {
  it.each<[string, string | undefined, string]>([
    ['a key id', 'k1', 'Secret "svc/db" cannot be decrypted with key id "k1": why'],
    ['no key id', undefined, 'Secret "svc/db" cannot be decrypted: why'],
  ])('names the secret and %s', (_, keyId, message) => {
    const error = new SecretDecryptionError('svc/db', keyId, 'why');

    expect(error.message).toBe(message);
    expect(error).toMatchObject({ key: 'svc/db', keyId, reason: 'why' });
  });
});

describe('describeKey', () => {
  it.each<[unknown, string]>([
    ['svc/db', '"svc/db"'],
    ['line\nbreak', '"line\\nbreak"'],
    [`${'x'.repeat(80)}tail`, `"${'x'.repeat(80)}…"`],
    [42, '<number>'],
    [null, '<null>'],
    [undefined, '<undefined>'],
    [{}, '<object>'],
  ])('renders %p as %s', (key, shown) => {
    expect(describeKey(key)).toBe(shown);
  });
});

describe('isSecretStoreError', () => {
  /** A second copy of the package's errors module, as a process that loads both the ESM and CommonJS builds has. */
  function otherCopy(): typeof errorsModule {
    let copy: typeof errorsModule | undefined;
    jest.isolateModules(() => {
      copy = jest.requireActual<typeof errorsModule>('../../src/errors');
    });
    return copy!;
  }

  it('knows an error of another copy of the package, where instanceof does not', () => {
    const other = otherCopy();
    const error = new other.SecretNotFoundError('svc/db');

    expect(error).not.toBeInstanceOf(SecretNotFoundError);
    expect(isSecretStoreError(error)).toBe(true);
    expect(isSecretStoreError(error, 'SECRET_NOT_FOUND')).toBe(true);
    expect(isSecretStoreError(error, 'SECRET_CORRUPT')).toBe(false);
  });

  it('matches the exact code, not the codes of subclasses', () => {
    const lost = new SecretWriteOutcomeUnknownError('Writing secret', 'k', 'why');

    expect(lost).toBeInstanceOf(DatabaseUnavailableError);
    expect(isSecretStoreError(lost, 'WRITE_OUTCOME_UNKNOWN')).toBe(true);
    expect(isSecretStoreError(lost, 'DATABASE_UNAVAILABLE')).toBe(false);
  });

  it.each([
    ['an Error with a code of the package', Object.assign(new Error('x'), { code: 'SECRET_NOT_FOUND' })],
    ['a plain object with that code', { code: 'SECRET_NOT_FOUND', name: 'SecretNotFoundError' }],
    ['null', null],
    ['a string', 'SECRET_NOT_FOUND'],
  ])('refuses %s', (_, value) => {
    expect(isSecretStoreError(value)).toBe(false);
    expect(isSecretStoreError(value, 'SECRET_NOT_FOUND')).toBe(false);
  });

  it('narrows to the class of the code', () => {
    const error: unknown = new SecretVersionConflictError('k', 1, 2);
    if (!isSecretStoreError(error, 'SECRET_VERSION_CONFLICT')) throw new Error('expected a version conflict');
    // Compiles only if the guard narrowed to SecretVersionConflictError.
    expect(error.currentVersion).toBe(2);
  });
});

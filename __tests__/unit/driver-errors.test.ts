import { inspect } from 'node:util';

import {
  ConnectionAcquireTimeoutError,
  DatabaseOperationError,
  DatabaseUnavailableError,
  SchemaNotMigratedError,
  SecretNotFoundError,
  SecretWriteOutcomeUnknownError,
  StatementTimeoutError,
  TransactionConflictError,
} from '../../src';
import {
  CommitFailed,
  ConnectionNotObtained,
  isStatementTimeoutRefused,
  toDatabaseError,
} from '../../src/database/driver-errors';
import { expectError } from '../support/errors';

const OPERATION = 'Reading secret "svc/db"';
// Stands for a value that reached the server as a query parameter.
const MARKER = 'sk_live_MARKER_0b4e';

/** An error shaped like node-postgres' DatabaseOperationError. */
function pgError(code: string, message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { code, severity: 'ERROR', ...extra });
}

/** An error shaped like a Node.js socket error. */
function systemError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, errno: -1, syscall: 'connect' });
}

type ErrorClass = typeof DatabaseOperationError;

describe('toDatabaseError', () => {
  it.each<[string, unknown, ErrorClass, string, string | undefined]>([
    [
      '57014 statement timeout',
      pgError('57014', 'canceling statement due to statement timeout'),
      StatementTimeoutError,
      'STATEMENT_TIMEOUT',
      '57014',
    ],
    [
      '40001 serialization failure',
      pgError('40001', 'could not serialize access'),
      TransactionConflictError,
      'TRANSACTION_CONFLICT',
      '40001',
    ],
    [
      '40P01 deadlock',
      pgError('40P01', 'deadlock detected'),
      TransactionConflictError,
      'TRANSACTION_CONFLICT',
      '40P01',
    ],
    [
      '42P01 undefined table',
      pgError('42P01', 'relation "secret_store" does not exist'),
      SchemaNotMigratedError,
      'SCHEMA_NOT_MIGRATED',
      '42P01',
    ],
    [
      '08006 connection failure',
      pgError('08006', 'connection failure'),
      DatabaseUnavailableError,
      'DATABASE_UNAVAILABLE',
      '08006',
    ],
    [
      '08P01 protocol violation',
      pgError('08P01', 'protocol violation'),
      DatabaseUnavailableError,
      'DATABASE_UNAVAILABLE',
      '08P01',
    ],
    [
      '57P01 admin shutdown',
      pgError('57P01', 'terminating connection due to administrator command'),
      DatabaseUnavailableError,
      'DATABASE_UNAVAILABLE',
      '57P01',
    ],
    [
      '53300 too many connections',
      pgError('53300', 'sorry, too many clients already'),
      DatabaseUnavailableError,
      'DATABASE_UNAVAILABLE',
      '53300',
    ],
    [
      'ECONNREFUSED',
      systemError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'),
      DatabaseUnavailableError,
      'DATABASE_UNAVAILABLE',
      undefined,
    ],
    [
      'ECONNRESET',
      systemError('ECONNRESET', 'read ECONNRESET'),
      DatabaseUnavailableError,
      'DATABASE_UNAVAILABLE',
      undefined,
    ],
    ['EPIPE', systemError('EPIPE', 'write EPIPE'), DatabaseUnavailableError, 'DATABASE_UNAVAILABLE', undefined],
    [
      'a terminated connection',
      new Error('Connection terminated unexpectedly'),
      DatabaseUnavailableError,
      'DATABASE_UNAVAILABLE',
      undefined,
    ],
    [
      'an ended pool',
      new Error('Cannot use a pool after calling end on the pool'),
      DatabaseUnavailableError,
      'DATABASE_UNAVAILABLE',
      undefined,
    ],
    ['another SQLSTATE', pgError('0A000', 'feature not supported'), DatabaseOperationError, 'DATABASE_ERROR', '0A000'],
  ])('maps %s', (_, driverError, errorClass, code, sqlState) => {
    const error = toDatabaseError(driverError, OPERATION);

    expect(error.constructor).toBe(errorClass);
    expect(error).toMatchObject({ code, sqlState, operation: OPERATION });
    expect(error.message.startsWith(`${OPERATION} failed: `)).toBe(true);
  });

  it.each([
    ['22P02', 'invalid text representation', { message: `invalid input syntax for type json: "${MARKER}"` }],
    ['23505', 'unique violation', { message: 'duplicate key', detail: `Key (key)=(${MARKER}) already exists.` }],
    ['23514', 'check violation', { message: `new row violates check constraint: ${MARKER}`, where: MARKER }],
  ])('keeps only the SQLSTATE of %s (%s), whose message can quote a parameter', (code, _, { message, ...extra }) => {
    const error = toDatabaseError(pgError(code, message, extra), OPERATION);

    expect(error.constructor).toBe(DatabaseOperationError);
    expect(error.message).toBe(`${OPERATION} failed: (SQLSTATE ${code})`);
    expect(error.cause).toBeUndefined();
    expect(inspect(error, { showHidden: true, depth: Infinity })).not.toContain(MARKER);
  });

  it('keeps the server message of a syntax error (42601)', () => {
    const error = toDatabaseError(pgError('42601', 'syntax error at or near "SELEC"'), OPERATION);

    expect(error.message).toBe(`${OPERATION} failed: syntax error at or near "SELEC" (SQLSTATE 42601)`);
  });

  it('tells to migrate when the table is missing', () => {
    expect(toDatabaseError(pgError('42P01', 'relation does not exist'), OPERATION).message).toContain(
      'no secret store schema yet; run migrate() on it first',
    );
  });

  it('tells to migrate when a table refuses an encoding by its encoding check, and not for other checks', () => {
    const refused = (constraint: string) =>
      toDatabaseError(Object.assign(pgError('23514', 'new row violates check constraint'), { constraint }), OPERATION);
    for (const constraint of ['secret_store_encoding_check', 'secret_versions_encoding_check']) {
      expect(refused(constraint)).toMatchObject({ code: 'SCHEMA_NOT_MIGRATED' });
      expect(refused(constraint).message).toContain('run migrate()');
    }
    expect(refused('secret_store_max_versions_check')).toMatchObject({ code: 'DATABASE_ERROR' });
  });

  it('returns a SecretStoreError as it is', () => {
    const original = new SecretNotFoundError('svc/db');

    expect(toDatabaseError(original, OPERATION)).toBe(original);
  });

  it.each<[string, unknown, string]>([
    ['a string', `boom ${MARKER}`, 'unknown driver error'],
    ['undefined', undefined, 'unknown driver error'],
    ['an object with a numeric code', { code: 42, message: MARKER }, 'unknown driver error'],
    ['an Error without a code', new TypeError(`bad value ${MARKER}`), 'TypeError'],
  ])('turns %s into a DatabaseOperationError without its text', (_, thrown, detail) => {
    const error = toDatabaseError(thrown, OPERATION);

    expect(error.constructor).toBe(DatabaseOperationError);
    expect(error).toMatchObject({
      code: 'DATABASE_ERROR',
      sqlState: undefined,
      message: `${OPERATION} failed: ${detail}`,
    });
    expect(inspect(error)).not.toContain(MARKER);
  });

  it("turns node-postgres' pool timeout into CONNECTION_ACQUIRE_TIMEOUT, which says the pool is exhausted", () => {
    const error = toDatabaseError(
      new ConnectionNotObtained(new Error('timeout exceeded when trying to connect')),
      OPERATION,
    );

    expectError(error, ConnectionAcquireTimeoutError, 'CONNECTION_ACQUIRE_TIMEOUT');
    expect(error.message).toContain('connectionTimeoutMillis');
  });

  it.each<[string, unknown]>([
    ['a refused connection', systemError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['a server not accepting connections (57P03)', pgError('57P03', 'the database system is starting up')],
    ['a connection attempt that timed out', new Error('Connection terminated due to connection timeout')],
  ])('marks %s while connecting as not sent', (_, reason) => {
    const error = toDatabaseError(new ConnectionNotObtained(reason), OPERATION);

    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect((error as DatabaseUnavailableError).requestSent).toBe(false);
  });

  it('marks a connection lost during a statement as possibly sent', () => {
    const error = toDatabaseError(pgError('57P01', 'terminating connection due to administrator command'), OPERATION);

    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect((error as DatabaseUnavailableError).requestSent).toBe(true);
  });
});

describe('toDatabaseError on a failed COMMIT', () => {
  it.each<[string, unknown]>([
    ['a connection terminated', new Error('Connection terminated unexpectedly')],
    ['a reset socket', systemError('ECONNRESET', 'read ECONNRESET')],
    ['the backend terminated (57P01)', pgError('57P01', 'terminating connection due to administrator command')],
    ['a protocol failure (08006)', pgError('08006', 'connection failure')],
  ])('after %s, the outcome is unknown: COMMIT was sent, and may have been applied', (_, reason) => {
    const error = toDatabaseError(new CommitFailed(reason), OPERATION);

    expectError(error, SecretWriteOutcomeUnknownError, 'WRITE_OUTCOME_UNKNOWN');
    expect(error).toMatchObject({ key: undefined, operation: 'Committing transaction' });
    expect(error.message).toMatch(
      /^Committing transaction failed: the connection was lost after COMMIT was sent \(.+\)/,
    );
  });

  it.each<[string, unknown, string]>([
    ['a serialization failure (40001)', pgError('40001', 'could not serialize access'), 'TRANSACTION_CONFLICT'],
    ['a deferred constraint (23505)', pgError('23505', 'duplicate key', { detail: MARKER }), 'DATABASE_ERROR'],
    [
      'a client that had lost its connection before COMMIT',
      new Error('Client has encountered a connection error and is not queryable'),
      'DATABASE_UNAVAILABLE',
    ],
  ])('after %s, the transaction was rolled back, and that is what is reported', (_, reason, code) => {
    const error = toDatabaseError(new CommitFailed(reason), OPERATION);

    expect(error).not.toBeInstanceOf(SecretWriteOutcomeUnknownError);
    expect(error).toMatchObject({ code, operation: 'Committing transaction' });
    expect(inspect(error, { showHidden: true, depth: Infinity })).not.toContain(MARKER);
  });
});

describe('connection errors (08)', () => {
  it("keep the server's message, which describes the connection", () => {
    const error = toDatabaseError(
      new ConnectionNotObtained(pgError('08P01', 'unsupported startup parameter: statement_timeout')),
      OPERATION,
    );

    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect(error.message).toBe(
      `${OPERATION} failed: unsupported startup parameter: statement_timeout (SQLSTATE 08P01)`,
    );
  });

  it.each<[string, unknown, boolean]>([
    ['the refusal', pgError('08P01', 'unsupported startup parameter: statement_timeout'), true],
    [
      'the refusal, while connecting',
      new ConnectionNotObtained(pgError('08P01', 'unsupported startup parameter: statement_timeout')),
      true,
    ],
    ['a refusal of another parameter', pgError('08P01', 'unsupported startup parameter: search_path'), false],
    ['another protocol violation', pgError('08P01', 'invalid message format'), false],
    ['a timeout', pgError('57014', 'canceling statement due to statement timeout'), false],
  ])('tell a pooler refusing statement_timeout at startup: %s', (_, error, refused) => {
    expect(isStatementTimeoutRefused(error)).toBe(refused);
  });
});

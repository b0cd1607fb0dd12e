import { SecretStoreConfigError } from '../../src';
import {
  describeDatabaseConfig,
  readDatabaseConfig,
  readSetting,
  type DatabaseConfig,
} from '../../src/database/config';
import { expectThrow } from '../support/errors';

const PASSWORD = 'pw_MARKER_91c2';

describe('readDatabaseConfig', () => {
  it.each([
    ['postgres://', `postgres://app:${PASSWORD}@db.example.com:6543/secrets`],
    ['postgresql://', 'postgresql://db.example.com/secrets?sslmode=require'],
  ])('takes a %s DATABASE_URL as the connection string', (_, url) => {
    expect(readDatabaseConfig({ DATABASE_URL: `  ${url}\n` })).toEqual({ connectionString: url });
  });

  it('prefers DATABASE_URL to the PG* variables', () => {
    expect(readDatabaseConfig({ DATABASE_URL: 'postgres://a/b', PGHOST: 'other', PGPORT: 'junk' })).toEqual({
      connectionString: 'postgres://a/b',
    });
  });

  it('reads the PG* variables when DATABASE_URL is not set', () => {
    const env = { PGHOST: 'db.internal', PGPORT: '6543', PGUSER: 'app', PGPASSWORD: PASSWORD, PGDATABASE: 'secrets' };

    expect(readDatabaseConfig(env)).toEqual({
      host: 'db.internal',
      port: 6543,
      user: 'app',
      password: PASSWORD,
      database: 'secrets',
    });
  });

  it('leaves out the PG* variables that are not set', () => {
    expect(readDatabaseConfig({ PGDATABASE: 'secrets', PGHOST: '' })).toEqual({ database: 'secrets' });
  });

  it('keeps an empty PGPASSWORD when other variables are set', () => {
    expect(readDatabaseConfig({ PGUSER: 'app', PGPASSWORD: '' })).toEqual({ user: 'app', password: '' });
  });

  it.each([
    ['nothing is set', {}],
    ['the PG* variables are empty, as libpq reads them', { PGHOST: '', PGPORT: '', PGPASSWORD: '' }],
    ['only unrelated variables are set', { HOME: '/root', PATH: '/bin' }],
  ])('returns undefined when %s', (_, env) => {
    expect(readDatabaseConfig(env)).toBeUndefined();
  });

  it.each(['', '   ', '\n'])('refuses a DATABASE_URL set to %j rather than taking it as unset', (url) => {
    const thrown = expectThrow(
      () => readDatabaseConfig({ DATABASE_URL: url, PGHOST: 'db.internal' }),
      SecretStoreConfigError,
      'INVALID_CONFIGURATION',
    );
    expect(thrown).toMatchObject({ setting: 'DATABASE_URL', problem: 'is empty' });
  });

  it.each([
    ['DATABASE_URL', 'not a url', { DATABASE_URL: `app:${PASSWORD}@db.example.com/secrets` }],
    ['DATABASE_URL', 'a wrong protocol', { DATABASE_URL: `mysql://app:${PASSWORD}@db.example.com/secrets` }],
    ['DATABASE_URL', 'an invalid port', { DATABASE_URL: `postgres://app:${PASSWORD}@db.example.com:99999/secrets` }],
    ['PGPORT', 'a port of 0', { PGPORT: '0', PGPASSWORD: PASSWORD }],
    ['PGPORT', 'a port over 65535', { PGPORT: '65536', PGPASSWORD: PASSWORD }],
    ['PGPORT', 'a non-numeric port', { PGPORT: '54x', PGPASSWORD: PASSWORD }],
    ['PGPORT', 'a fractional port', { PGPORT: '5432.5', PGPASSWORD: PASSWORD }],
  ])('refuses a %s with %s, naming the variable and not the password', (variable, _, env) => {
    const thrown = expectThrow(() => readDatabaseConfig(env), SecretStoreConfigError, 'INVALID_CONFIGURATION');

    expect(thrown).toMatchObject({ setting: variable });
    expect(thrown.message).toContain(variable);
    expect(thrown.message).not.toContain(PASSWORD);
  });
});

describe('readSetting', () => {
  it('returns a variable as it is set, and undefined when it is unset', () => {
    expect(readSetting({ SECRETSTORE_DATA_DIR: ' ./data ' }, 'SECRETSTORE_DATA_DIR')).toBe(' ./data ');
    expect(readSetting({}, 'SECRETSTORE_DATA_DIR')).toBeUndefined();
  });

  it.each(['', ' \t'])('refuses a variable set to %j, naming it', (value) => {
    const thrown = expectThrow(
      () => readSetting({ SECRETSTORE_ENCRYPTION_KEYS: value }, 'SECRETSTORE_ENCRYPTION_KEYS'),
      SecretStoreConfigError,
      'INVALID_CONFIGURATION',
    );
    expect(thrown).toMatchObject({ setting: 'SECRETSTORE_ENCRYPTION_KEYS', problem: 'is empty' });
  });
});

describe('describeDatabaseConfig', () => {
  it.each<[string, DatabaseConfig, string]>([
    [
      'a URL',
      { connectionString: `postgres://app:${PASSWORD}@db.example.com:6543/secrets` },
      'db.example.com:6543/secrets',
    ],
    [
      'a URL without port',
      { connectionString: `postgresql://app:${PASSWORD}@db.example.com/secrets` },
      'db.example.com:5432/secrets',
    ],
    [
      'a URL with the password in its query',
      { connectionString: `postgres:///secrets?password=${PASSWORD}` },
      'localhost:5432/secrets',
    ],
    ['a keyword connection string', { connectionString: `host=db password=${PASSWORD}` }, 'DATABASE_URL'],
    [
      'PG* settings',
      { host: 'db.internal', port: 6543, user: 'app', password: PASSWORD, database: 'secrets' },
      'db.internal:6543/secrets',
    ],
    ['PG* settings without database', { user: 'app', password: PASSWORD }, 'localhost:5432/app'],
    ['empty settings', {}, 'localhost:5432/'],
  ])('describes %s without credentials', (_, config, description) => {
    expect(describeDatabaseConfig(config)).toBe(description);
  });

  it('does not show a password that was not percent-encoded', () => {
    // An unencoded "/" ends the authority early: the URL parser then reads the password's tail as the path.
    const config = { connectionString: `postgres://app:123/${PASSWORD}@db.example.com/secrets` };

    expect(describeDatabaseConfig(config)).not.toContain(PASSWORD);
  });
});

import { describeDatabaseConfig, readDatabaseConfig } from '../../src/database/config';
import { parseHostList } from '../../src/database/multi-host-url';
import { parseLsn } from '../../src/database/replicated-database';

describe('parseHostList (libpq multi-host connection strings)', () => {
  it('lists every server in order, with 5432 where no port is given, and one URL per server for node-postgres', () => {
    const list = parseHostList(
      'postgresql://app:p%40ss@db-a:5433,db-b,[::1]:5434/secrets?sslmode=disable&target_session_attrs=read-write&application_name=x',
      'DATABASE_URL',
    );
    expect(list?.hosts).toEqual([
      { host: 'db-a', port: 5433 },
      { host: 'db-b', port: 5432 },
      { host: '::1', port: 5434 },
    ]);
    expect(list?.targetSessionAttrs).toBe('read-write');
    expect(list?.urlFor({ host: 'db-b', port: 5432 })).toBe(
      'postgresql://app:p%40ss@db-b:5432/secrets?sslmode=disable&application_name=x',
    );
    expect(list?.urlFor({ host: '::1', port: 5434 })).toBe(
      'postgresql://app:p%40ss@[::1]:5434/secrets?sslmode=disable&application_name=x',
    );
  });

  it('takes any (the default), read-write and primary, and keeps a URL without a query as it is', () => {
    expect(parseHostList('postgres://h1,h2/db', 'db')?.targetSessionAttrs).toBe('any');
    expect(parseHostList('postgres://h1/db?target_session_attrs=primary', 'db')?.targetSessionAttrs).toBe('primary');
    expect(parseHostList('postgres://u@h1:1,h2:2', 'db')?.urlFor({ host: 'h2', port: 2 })).toBe('postgres://u@h2:2');
    expect(
      parseHostList('postgres://h1,h2/db?target_session_attrs=any', 'db')?.urlFor({ host: 'h1', port: 5432 }),
    ).toBe('postgres://h1:5432/db');
  });

  it('leaves to node-postgres what is not a URL with hosts: key=value strings and Unix sockets', () => {
    expect(parseHostList('host=/var/run/postgresql dbname=x', 'db')).toBeUndefined();
    expect(parseHostList('postgres:///db?host=/tmp', 'db')).toBeUndefined();
  });

  it.each([
    ['postgres://h1:0,h2/db', /port that is not a number between 1 and 65535/],
    ['postgres://h1:70000/db', /port that is not a number between 1 and 65535/],
    ['postgres://h1:x/db', /port that is not a number/],
    ['postgres://h1,,h2/db', /a server without a host name/],
    ['postgres://[::1/db', /IPv6 address without its closing/],
    ['postgres://[::1]x/db', /malformed host list/],
    ['postgres://h%zz,h2/db', /malformed percent-encoding/],
    [
      'postgres://h1,h2/db?target_session_attrs=standby',
      /target_session_attrs=standby: the store takes any, read-write, primary/,
    ],
    ['postgres://u:pa/ss@h1,h2/db', /percent-encode/],
    ['postgres://h1,h2/db?sslmode=disable&target_session_attrs', /has target_session_attrs=: the store takes/],
  ])('refuses %s, naming the setting and never the string', (url, problem) => {
    let thrown: unknown;
    try {
      parseHostList(url, 'DATABASE_URL');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'INVALID_CONFIGURATION', setting: 'DATABASE_URL' });
    expect((thrown as Error).message).toMatch(problem);
    expect((thrown as Error).message).not.toContain('pa/ss');
  });
});

describe('DATABASE_URL with several servers', () => {
  it('is read as libpq reads it, though `new URL` refuses it, and described without credentials', () => {
    const url = 'postgres://app:secret@db-a.internal:5432,db-b.internal:5433/app?target_session_attrs=read-write';
    expect(readDatabaseConfig({ DATABASE_URL: url })).toEqual({ connectionString: url });
    expect(describeDatabaseConfig({ connectionString: url })).toBe('db-a.internal:5432,db-b.internal:5433/app');
    expect(describeDatabaseConfig({ connectionString: 'postgres://h1,h2' })).toBe('h1:5432,h2:5432');
  });

  it('refuses a malformed one, naming DATABASE_URL', () => {
    expect(() => readDatabaseConfig({ DATABASE_URL: 'mysql://h1,h2/db' })).toThrow(/must start with postgres:\/\//);
    expect(() => readDatabaseConfig({ DATABASE_URL: 'postgres://h1:1,h2:99999/db' })).toThrow(
      /Invalid configuration DATABASE_URL: has a port/,
    );
  });
});

describe('parseLsn', () => {
  it('orders WAL positions as PostgreSQL does, across the 32-bit boundary', () => {
    expect(parseLsn('0/16B3748')).toBe(0x16b3748n);
    expect(parseLsn('1/0') > parseLsn('0/FFFFFFFF')).toBe(true);
    expect(parseLsn('16/B374D848')).toBe((0x16n << 32n) | 0xb374d848n);
    expect(() => parseLsn('nonsense')).toThrow('not a WAL position');
  });
});

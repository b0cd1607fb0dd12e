import { SecretStoreConfigError } from '../../src';
import { createPool } from '../../src/database/pool';

// No connection is opened: node-postgres connects on the first query.
const config = { connectionString: 'postgres://nobody@127.0.0.1:1/none' };

describe('createPool', () => {
  it('passes the settings to node-postgres, with TCP keepalive on', async () => {
    const pool = createPool(config, { max: 3, connectionTimeoutMillis: 250, statementTimeoutMillis: 1_500 });
    try {
      expect(pool.options).toMatchObject({
        max: 3,
        connectionTimeoutMillis: 250,
        statement_timeout: 1_500,
        keepAlive: true,
        application_name: '@kongflow/secretstore',
      });
    } finally {
      await pool.end();
    }
  });

  it('never waits for a connection without limit: 10 s unless told otherwise', async () => {
    const pool = createPool(config);
    try {
      expect(pool.options.connectionTimeoutMillis).toBe(10_000);
      expect(pool.options).not.toHaveProperty('statement_timeout');
    } finally {
      await pool.end();
    }
  });

  it('stops sending the statement timeout when connections open once told so, keeping it for SET LOCAL', async () => {
    const pool = createPool(config, { statementTimeoutMillis: 1_500 });
    try {
      const { statementTimeout } = pool as unknown as {
        statementTimeout: { millis: number; sentAtStartup: boolean; stopSendingAtStartup(): void };
      };
      expect(statementTimeout).toMatchObject({ millis: 1_500, sentAtStartup: true });

      statementTimeout.stopSendingAtStartup();

      expect(statementTimeout).toMatchObject({ millis: 1_500, sentAtStartup: false });
      expect(pool.options).not.toHaveProperty('statement_timeout');
    } finally {
      await pool.end();
    }
  });

  it.each([undefined, 0])('has no statement timeout to apply when it is %p', async (statementTimeoutMillis) => {
    const pool = createPool(config, { statementTimeoutMillis });
    try {
      expect(pool).toHaveProperty('statementTimeout', undefined);
    } finally {
      await pool.end();
    }
  });

  it.each([
    [{ max: 0 }, 'pool.max'],
    [{ max: 2.5 }, 'pool.max'],
    [{ connectionTimeoutMillis: 0 }, 'pool.connectionTimeoutMillis'],
    [{ connectionTimeoutMillis: Number.POSITIVE_INFINITY }, 'pool.connectionTimeoutMillis'],
    [{ statementTimeoutMillis: -1 }, 'pool.statementTimeoutMillis'],
  ])('refuses %p, naming %s', (options, setting) => {
    expect(() => createPool(config, options)).toThrow(SecretStoreConfigError);
    expect(() => createPool(config, options)).toThrow(`Invalid configuration ${setting}:`);
  });
});

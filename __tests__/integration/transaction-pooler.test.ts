/**
 * The store behind a pooler in transaction mode, where a client connection's server session changes from one
 * transaction to the next. Run through PgBouncer (TEST_DATABASE_URL pointing at it, see .ci/pgbouncer.sh),
 * these are what used to break there; on a server or on PGlite behind a socket they must hold as well.
 */
import { randomUUID } from 'node:crypto';

import { Client, Pool } from 'pg';
import { z } from 'zod';

import { createSecretStore, generateEncryptionKey, PostgresSecretStoreRepository, SecretStore } from '../../src';
import { ExitCode } from '../../src/cli/exit-codes';
import { createPool } from '../../src/database/pool';
import { statementName } from '../../src/database/statement-name';
import { HASH_AUDIT_MAC } from '../../src/encryption/audit-mac';
import type { Statement } from '../../src/database/statement';
import { getSecret, listSecretMetadata, writeSecret } from '../../src/generated/secret_store.statements';
import { auditEntry } from '../../src/secretstore/audit-trail';
import { useTestDatabase } from '../harness/database';
import { expectJson, type CliRun, type Json } from '../support/cli-output';
import { secretstore } from '../support/cli-run';
import { FaultProxy } from '../support/fault-proxy';
import { pgbouncerVersion } from '../support/pgbouncer';
import { useTemporaryFolder } from '../support/temporary-folder';
import { testKeyring } from '../support/test-keyring';

const testDatabase = useTestDatabase();
const TIMEOUT = 60_000;
// One keyring for the file: the database remembers which key wrote under an id.
const encryption = testKeyring('pooler');
const cliEnv = { SECRETSTORE_ENCRYPTION_KEYS: `pooler-cli:${generateEncryptionKey()}` };
const Value = z.object({ n: z.number() });

let url: string;
beforeAll(async () => {
  url = await testDatabase().tcpUrl();
}, TIMEOUT);
beforeEach(() => testDatabase().reset());

/** A statement's text and its values, in the order of its params. */
function bound<Params>(statement: Statement<Params, unknown>, params: Params): { text: string; values: unknown[] } {
  return { text: statement.text, values: statement.params.map((name) => params[name]) };
}

/**
 * Another client prepares, under the store's own names, the statements a store's transaction sends, on every
 * server session the pooler gives out at once: more clients than it has sessions, each holding one for a while.
 */
async function occupyServerSessions(databaseUrl: string): Promise<void> {
  const occupant = new Pool({ connectionString: databaseUrl, max: 8 });
  try {
    await Promise.all(
      Array.from({ length: 8 }, async (_, n) => {
        const key = `occupied.${n}`;
        const writeId = randomUUID();
        const statements = [
          bound(writeSecret, {
            key,
            valueJson: '{"n":0}',
            encoding: 'plain',
            keyId: null,
            writeId,
            maxVersions: 10,
            auditId: randomUUID(),
            operation: 'set',
            at: new Date(),
            macKeyId: null,
            mac: 'occupant',
          }),
          bound(getSecret, { key }),
          bound(listSecretMetadata, {
            lowerBound: 'tx.',
            after: '',
            upperBound: 'tx/',
            includeDeleted: false,
            limit: 1001,
          }),
        ];
        const client = await occupant.connect();
        try {
          await client.query('BEGIN');
          for (const { text, values } of statements) await client.query({ name: statementName(text), text, values });
          await client.query('SELECT pg_sleep(0.3)');
          await client.query('COMMIT');
        } catch (error) {
          // A session that another occupant reached first holds the names already (42P05): what is wanted.
          if ((error as { code?: unknown }).code !== '42P05') throw error;
          await client.query('ROLLBACK');
        } finally {
          client.release();
        }
      }),
    );
  } finally {
    await occupant.end();
  }
}

/** A successful --json run on a server: nothing on stderr, the document it printed. */
const expectSuccess = (result: CliRun): Json => expectJson(result, 'silent');

describe('the CLI, one process after another', () => {
  const folder = useTemporaryFolder('secretstore-pooler-');

  it(
    'sets twice, imports, and lists with values: each run finds the statements the one before it left',
    async () => {
      const cli = (...args: string[]) => secretstore(['--json', '--database-url', url, ...args], { env: cliEnv });

      expect(expectSuccess(await cli('set', 'pooler.a', '{"n":1}'))).toMatchObject({ key: 'pooler.a', version: 1 });
      expect(expectSuccess(await cli('set', 'pooler.a', '{"n":2}'))).toMatchObject({ key: 'pooler.a', version: 2 });
      const file = folder.writeJson('secrets.json', { 'pooler.a': { n: 2 }, 'pooler.b': { n: 3 } });
      expect(expectSuccess(await cli('import', file))).toMatchObject({ created: 1, updated: 0, unchanged: 1 });
      expect(expectSuccess(await cli('list', '--values', 'pooler.'))).toMatchObject({
        secrets: [
          { key: 'pooler.a', version: 2, value: { n: 2 } },
          { key: 'pooler.b', version: 1, value: { n: 3 } },
        ],
      });
      expect(expectSuccess(await cli('get', 'pooler.b'))).toEqual({ key: 'pooler.b', value: { n: 3 } });
    },
    TIMEOUT,
  );
});

describe('named statements', () => {
  it(
    "do not break transaction() where another client's named statements occupy the server sessions",
    async () => {
      await occupyServerSessions(url);

      const store = await createSecretStore({ db: url, encryption });
      try {
        for (let round = 1; round <= 5; round++) {
          const listed = await store.transaction(async (tx) => {
            await tx.setSecret('tx.key', { n: round });
            expect(await tx.getSecret(Value, 'tx.key')).toEqual({ n: round });
            return tx.listSecrets({ prefix: 'tx.' });
          });
          expect(listed.secrets.map(({ key, version }) => ({ key, version }))).toEqual([
            { key: 'tx.key', version: round },
          ]);
          // Single statements too: named, or unnamed once the store has met a session that holds their names.
          expect(await store.getSecret(Value, 'tx.key')).toEqual({ n: round });
        }
      } finally {
        await store.close();
      }
    },
    TIMEOUT,
  );

  it(
    'are sent again unnamed when the session lacks one the connection prepared (26000)',
    async () => {
      const { mode } = testDatabase();
      const behindPgBouncer = (await pgbouncerVersion(url)) !== undefined;
      const proxy = await FaultProxy.inFrontOf(url);
      // Behind PgBouncer this client gets the server session used last, the one the store's connection just used.
      const other = new Client({ connectionString: url });
      const pool = createPool({ connectionString: proxy.urlFor(url) }, { max: 1 });
      try {
        await other.connect();
        const repository = new PostgresSecretStoreRepository(pool);
        await other.query('DEALLOCATE ALL');
        const writeId = randomUUID();
        await repository.writeSecret(
          'lacking',
          { valueJson: '{"n":1}', encoding: 'plain', keyId: null, writeId },
          { maxVersions: 10, operation: 'set', audit: auditEntry(HASH_AUDIT_MAC, 'set', 'lacking', writeId, null) },
        );
        await other.query('DEALLOCATE ALL');
        await repository.getSecret('lacking');
        const prepared = proxy.parsed.at(-1);
        expect(prepared?.name).toBe(statementName(prepared?.sql ?? ''));
        const parsedBefore = proxy.parsed.length;

        // The store's connection believes the statement prepared; the session it is given now does not hold it.
        await other.query('DEALLOCATE ALL');
        expect(await repository.getSecret('lacking')).toMatchObject({ valueJson: '{"n": 1}' });

        // With a session of its own the connection only binds; a shared one makes it parse again, unnamed.
        const sharedSessions = behindPgBouncer || mode === 'pglite';
        expect(proxy.parsed.slice(parsedBefore)).toEqual(sharedSessions ? [{ name: '', sql: prepared?.sql }] : []);
      } finally {
        await Promise.all([pool.end(), other.end(), proxy.close()]);
      }
    },
    TIMEOUT,
  );

  describe('turned off', () => {
    let proxy: FaultProxy;
    beforeEach(async () => {
      proxy = await FaultProxy.inFrontOf(url);
    });
    afterEach(() => proxy.close());

    const namedParses = (): string[] => proxy.parsed.map((parse) => parse.name).filter((name) => name !== '');

    it.each<[string, string[], Record<string, string>]>([
      ['--no-prepared-statements', ['--no-prepared-statements'], {}],
      ['SECRETSTORE_PREPARED_STATEMENTS=false', [], { SECRETSTORE_PREPARED_STATEMENTS: 'false' }],
      ['SECRETSTORE_PREPARED_STATEMENTS=0', [], { SECRETSTORE_PREPARED_STATEMENTS: '0' }],
    ])(
      'by %s, leave every statement the CLI sends unnamed',
      async (_, flags, env) => {
        const cli = (...args: string[]) =>
          secretstore(['--json', '--database-url', proxy.urlFor(url), ...flags, ...args], {
            env: { ...cliEnv, ...env },
          });

        expectSuccess(await cli('set', 'unnamed.a', '{"n":1}'));
        expect(expectSuccess(await cli('get', 'unnamed.a'))).toEqual({ key: 'unnamed.a', value: { n: 1 } });

        expect(proxy.parsed.length).toBeGreaterThan(0);
        expect(namedParses()).toEqual([]);
      },
      TIMEOUT,
    );

    it(
      'by nothing (the default), names the statements the CLI sends on their own',
      async () => {
        const cli = (...args: string[]) =>
          secretstore(['--json', '--database-url', proxy.urlFor(url), ...args], { env: cliEnv });

        expectSuccess(await cli('set', 'named.a', '{"n":1}'));
        expectSuccess(await cli('get', 'named.a'));

        expect(namedParses().length).toBeGreaterThan(0);
        expect(namedParses().every((name) => /^secretstore_[0-9a-f]{24}$/.test(name))).toBe(true);
      },
      TIMEOUT,
    );

    it.each(['', 'no', 'TRUEISH'])(
      'refuses SECRETSTORE_PREPARED_STATEMENTS=%p with INVALID_CONFIGURATION naming it, connecting nowhere',
      async (value) => {
        const result = await secretstore(['--json', '--database-url', proxy.urlFor(url), 'get', 'any.key'], {
          env: { ...cliEnv, SECRETSTORE_PREPARED_STATEMENTS: value },
        });

        expect(result.code).toBe(ExitCode.configuration);
        expect(JSON.parse(result.stderr)).toMatchObject({
          error: {
            code: 'INVALID_CONFIGURATION',
            message: expect.stringContaining('SECRETSTORE_PREPARED_STATEMENTS') as unknown,
          },
        });
        expect(proxy.accepted).toBe(0);
      },
      TIMEOUT,
    );
  });
});

describe('statementTimeoutMillis', () => {
  const TIMEOUT_MILLIS = 500;

  it(
    'stops a statement blocked on a row lock with STATEMENT_TIMEOUT, and never reaches another client',
    async () => {
      const { mode } = testDatabase();
      const behindPgBouncer = (await pgbouncerVersion(url)) !== undefined;
      const pool = createPool({ connectionString: url }, { statementTimeoutMillis: TIMEOUT_MILLIS });
      const others = new Pool({ connectionString: url, max: 8 });
      const locker = new Pool({ connectionString: url, max: 1 });
      try {
        const store = new SecretStore(new PostgresSecretStoreRepository(pool), { encryption });
        await store.setSecret('locked', { n: 1 });
        // A server takes the timeout when a connection opens; PgBouncer refuses it there, so the store sets it.
        const { statementTimeout } = pool as unknown as { statementTimeout: { sentAtStartup: boolean } };
        expect(statementTimeout.sentAtStartup).toBe(!behindPgBouncer);

        if (mode === 'server') {
          const lock = await locker.connect();
          try {
            await lock.query('BEGIN');
            await lock.query('SELECT key FROM secret_store WHERE key = $1 FOR UPDATE', ['locked']);
            await expect(store.setSecret('locked', { n: 2 })).rejects.toMatchObject({ code: 'STATEMENT_TIMEOUT' });
            await expect(store.transaction((tx) => tx.setSecret('locked', { n: 3 }))).rejects.toMatchObject({
              code: 'STATEMENT_TIMEOUT',
            });
          } finally {
            await lock.query('ROLLBACK');
            lock.release();
          }
        }
        expect(await store.setSecret('locked', { n: 4 })).toEqual({ version: 2 });

        // Clients without a timeout, on as many server sessions as the pooler gives them at once.
        const sleeps = await Promise.all(
          Array.from({ length: 8 }, () =>
            others.query<{ timeout: string }>(
              `SELECT pg_sleep(${(2 * TIMEOUT_MILLIS) / 1000}), current_setting('statement_timeout') AS timeout`,
            ),
          ),
        );
        expect(sleeps.map((result) => result.rows[0].timeout)).toEqual(Array.from({ length: 8 }, () => '0'));
      } finally {
        await Promise.all([pool.end(), others.end(), locker.end()]);
      }
    },
    TIMEOUT,
  );
});

import { EventEmitter } from 'node:events';

// Plain objects here stand in for driver handles only to follow the adapter's control flow;
// the adapters against real pg pools and PGlite are covered by the integration tests.
import type { NamedStatement, PGliteResultLike, PGliteTransactionLike } from '../../src';
import type { Database } from '../../src/database/database';
import { CommitFailed, ConnectionNotObtained, StatementCancelled } from '../../src/database/driver-errors';
import { statementName } from '../../src/database/statement-name';
import { toDatabase } from '../../src/database/to-database';

function fakePool(failing: Record<string, unknown> = {}) {
  const statements: string[] = [];
  const client = {
    query: jest.fn<Promise<{ rows: unknown[]; rowCount: number }>, [string, unknown[]?]>(async (text) => {
      statements.push(text);
      if (text in failing) throw failing[text];
      return { rows: [], rowCount: 0 };
    }),
    release: jest.fn((destroy?: boolean | Error) => void destroy),
  };
  const pool = { connect: jest.fn(async () => client), totalCount: 1, idleCount: 0, query: jest.fn() };
  return { pool, client, statements, database: toDatabase(pool) };
}

function transactionOf(database: Database): NonNullable<Database['transaction']> {
  if (!database.transaction) throw new Error('expected a Database with transaction()');
  return database.transaction;
}

describe('toDatabase over a pool', () => {
  it('runs work between BEGIN and COMMIT on one client and releases it', async () => {
    const { client, statements, database } = fakePool();

    const result = await transactionOf(database)(async (tx) => {
      await tx.query('SELECT 1', []);
      return 'done';
    });

    expect(result).toBe('done');
    expect(statements).toEqual(['BEGIN', 'SELECT 1', 'COMMIT']);
    expect(client.release).toHaveBeenCalledTimes(1);
    expect(client.release.mock.calls[0][0]).toBeUndefined();
  });

  it('rolls back and returns the client to the pool when work throws, rethrowing its error', async () => {
    const workFailure = new Error('work failed');
    const { client, statements, database } = fakePool();

    await expect(transactionOf(database)(() => Promise.reject(workFailure))).rejects.toBe(workFailure);
    expect(statements).toEqual(['BEGIN', 'ROLLBACK']);
    expect(client.release).toHaveBeenCalledTimes(1);
    expect(client.release.mock.calls[0][0]).toBeUndefined();
  });

  it('marks a failure of COMMIT itself as such, for the caller to tell a lost answer from a rollback', async () => {
    const commitFailure = new Error('Connection terminated unexpectedly');
    const { client, statements, database } = fakePool({ COMMIT: commitFailure });

    const failure = await transactionOf(database)(async () => 'done').catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(CommitFailed);
    expect((failure as CommitFailed).reason).toBe(commitFailure);
    expect(statements).toEqual(['BEGIN', 'COMMIT', 'ROLLBACK']);
    expect(client.release).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['an Error', new Error('rollback failed'), 'rollback failed'],
    ['a non-Error', 'rollback failed as a string', 'ROLLBACK failed'],
  ])(
    'destroys the client when ROLLBACK fails with %s, and still throws the error of work',
    async (_, rollbackFailure, reason) => {
      const workFailure = new Error('work failed');
      const { client, database } = fakePool({ ROLLBACK: rollbackFailure });

      await expect(transactionOf(database)(() => Promise.reject(workFailure))).rejects.toBe(workFailure);
      expect(client.release).toHaveBeenCalledTimes(1);
      const [released] = client.release.mock.calls[0];
      expect(released).toBeInstanceOf(Error);
      expect((released as Error).message).toBe(reason);
    },
  );

  it('runs a query on a pooled client and releases it', async () => {
    const { client, database } = fakePool();
    client.query.mockResolvedValueOnce({ rows: [{ n: 1 }], rowCount: 1 });

    await expect(database.query('SELECT $1', [1])).resolves.toEqual({ rows: [{ n: 1 }], rowCount: 1 });
    expect(client.query).toHaveBeenCalledWith('SELECT $1', [1]);
    expect(client.release).toHaveBeenCalledTimes(1);
    await expect(database.withConnection(async (connection) => connection === client)).resolves.toBe(true);
    expect(client.release).toHaveBeenCalledTimes(2);
  });

  it("prepares the store's statements under a name derived from their text", async () => {
    const { client, database } = fakePool();

    await database.statement('SELECT key FROM secret_store WHERE key = $1', ['a']);
    await database.statement('SELECT key FROM secret_store WHERE key = $1', ['b']);
    await database.statement('DELETE FROM secret_store WHERE key = $1', ['a']);

    const [first, second, third] = client.query.mock.calls.map(([statement]) => statement as unknown as NamedStatement);
    expect(first.name).toMatch(/^secretstore_[0-9a-f]{24}$/);
    expect(first).toEqual({ name: first.name, text: 'SELECT key FROM secret_store WHERE key = $1', values: ['a'] });
    expect(second.name).toBe(first.name);
    expect(third.name).not.toBe(first.name);
    expect(statementName(first.text)).toBe(first.name);
  });

  it('sends statements unnamed when prepared statements are turned off', async () => {
    const { pool, client } = fakePool();
    const database = toDatabase(pool, { preparedStatements: false });

    await database.statement('SELECT 1 WHERE $1', [true]);

    expect(client.query).toHaveBeenCalledWith('SELECT 1 WHERE $1', [true], expect.any(Function));
  });

  it.each([
    ['42P05', 'prepared statement "secretstore_x" already exists'],
    ['26000', 'prepared statement "secretstore_x" does not exist'],
  ])(
    'falls back to unnamed statements for good when the session is not the connection’s own (%s)',
    async (code, message) => {
      const { client, database } = fakePool();
      client.query.mockRejectedValueOnce(Object.assign(new Error(message), { code }));

      await expect(database.statement('SELECT 1 WHERE $1', [true])).resolves.toEqual({ rows: [], rowCount: 0 });
      await database.statement('SELECT 2 WHERE $1', [true]);

      expect(client.query.mock.calls.map(([statement]) => typeof statement)).toEqual(['object', 'string', 'string']);
      expect(client.query).toHaveBeenLastCalledWith('SELECT 2 WHERE $1', [true], expect.any(Function));
    },
  );

  it("sends statements in node-postgres' callback form, where it answers without a promise", async () => {
    const notOwned = Object.assign(new Error('prepared statement "secretstore_x" already exists'), { code: '42P05' });
    const violation = Object.assign(new Error('duplicate key value'), { code: '23505' });
    type Callback = (error: Error | null, result?: { rows: unknown[] }) => void;
    const answers: (Error | { rows: unknown[] })[] = [{ rows: [{ n: 1 }] }, notOwned, { rows: [{ n: 2 }] }, violation];
    const sent: unknown[] = [];
    const client = {
      // Like pg's Client: the callback gets the answer, and nothing is returned; the promise form is not there.
      query: jest.fn((statement: unknown, ...rest: unknown[]) => {
        const callback = rest.at(-1);
        if (typeof callback !== 'function') throw new Error('sent without a callback');
        sent.push(typeof statement === 'string' ? statement : (statement as NamedStatement).name);
        const answer = answers.shift() as Error | { rows: unknown[] };
        setImmediate(() =>
          answer instanceof Error ? (callback as Callback)(answer) : (callback as Callback)(null, answer),
        );
      }),
      release: jest.fn(),
    };
    const pool = { connect: jest.fn(async () => client), totalCount: 1, idleCount: 0, query: jest.fn() };
    // Its client lacks the promise form on purpose: only the callback form can succeed.
    const database = toDatabase(pool);

    await expect(database.statement('SELECT 1', [])).resolves.toEqual({ rows: [{ n: 1 }] });
    await expect(database.statement('SELECT 2', [])).resolves.toEqual({ rows: [{ n: 2 }] });
    await expect(database.statement('SELECT 3', [])).rejects.toBe(violation);

    expect(sent).toEqual([statementName('SELECT 1'), statementName('SELECT 2'), 'SELECT 2', 'SELECT 3']);
    expect(client.release).toHaveBeenCalledTimes(3);
  });

  it('sends statements inside a transaction unnamed, where a failed Parse would abort it', async () => {
    const { client, statements, database } = fakePool();

    await transactionOf(database)((tx) => tx.statement('SELECT 1 WHERE $1', [true]));
    await database.statement('SELECT 1 WHERE $1', [true]);

    expect(statements.slice(0, 3)).toEqual(['BEGIN', 'SELECT 1 WHERE $1', 'COMMIT']);
    expect(client.query.mock.calls.map(([statement]) => typeof statement)).toEqual([
      'string',
      'string',
      'string',
      'object',
    ]);
  });

  it('marks a failure to obtain a connection: the statement was never sent', async () => {
    const { pool, client, database } = fakePool();
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    pool.connect.mockRejectedValueOnce(refused);

    const failure = await database.statement('SELECT 1', []).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ConnectionNotObtained);
    expect((failure as ConnectionNotObtained).reason).toBe(refused);
    expect(client.query).not.toHaveBeenCalled();
  });

  it("attaches its 'error' listener inside the pool's callback, before an error in the same chunk can be emitted", async () => {
    const { client } = fakePool();
    const emitter = new EventEmitter();
    const withEvents = Object.assign(client, {
      on: (event: 'error', listener: (error: Error) => void) => emitter.on(event, listener),
      removeListener: (event: 'error', listener: (error: Error) => void) => emitter.removeListener(event, listener),
    });
    let listenersAtHandOver = -1;
    const pool = {
      totalCount: 1,
      idleCount: 0,
      query: jest.fn(),
      // node-postgres calls back synchronously; a FATAL read in the same chunk is emitted right after.
      connect: jest.fn((callback?: (error: Error | undefined, client: typeof withEvents) => void) => {
        callback?.(undefined, withEvents);
        listenersAtHandOver = emitter.listenerCount('error');
        emitter.emit('error', new Error('terminating connection due to administrator command'));
        return undefined;
      }),
    };

    await toDatabase(pool).query('SELECT 1', []);

    expect(listenersAtHandOver).toBe(1);
    expect(emitter.listenerCount('error')).toBe(0);
  });

  it("listens for the client's 'error' event while it is checked out, so that a lost connection cannot go unhandled", async () => {
    const { client, database } = fakePool();
    const listeners = new Set<(error: Error) => void>();
    const withEvents = Object.assign(client, {
      on: jest.fn((_: 'error', listener: (error: Error) => void) => listeners.add(listener)),
      removeListener: jest.fn((_: 'error', listener: (error: Error) => void) => listeners.delete(listener)),
    });
    let heardDuringQuery = 0;
    withEvents.query.mockImplementationOnce(async () => {
      heardDuringQuery = listeners.size;
      listeners.forEach((listener) => listener(new Error('Connection terminated unexpectedly')));
      throw new Error('Connection terminated unexpectedly');
    });

    await expect(database.query('SELECT 1', [])).rejects.toThrow('Connection terminated unexpectedly');
    expect(heardDuringQuery).toBe(1);
    expect(listeners.size).toBe(0);
    expect(client.release).toHaveBeenCalledTimes(1);
  });
});

describe('toDatabase over a pool with a statement timeout', () => {
  const refused = Object.assign(new Error('unsupported startup parameter: statement_timeout'), { code: '08P01' });

  /** A pool like createPool's, whose first connection attempt fails with `refusal` (none: it succeeds). */
  function poolWithTimeout(refusal?: unknown) {
    const fake = fakePool();
    let sentAtStartup = true;
    const statementTimeout = {
      millis: 250,
      get sentAtStartup() {
        return sentAtStartup;
      },
      stopSendingAtStartup: jest.fn(() => {
        sentAtStartup = false;
      }),
    };
    const pool = { ...fake.pool, statementTimeout };
    if (refusal !== undefined) pool.connect.mockRejectedValueOnce(refusal);
    return { ...fake, pool, statementTimeout, database: toDatabase(pool) };
  }

  it('keeps it a startup parameter, at no cost, while the server takes it', async () => {
    const { client, statements, statementTimeout, database } = poolWithTimeout();

    await transactionOf(database)((tx) => tx.statement('SELECT 1 WHERE $1', [true]));
    await database.statement('SELECT 2 WHERE $1', [true]);

    expect(statements.slice(0, 3)).toEqual(['BEGIN', 'SELECT 1 WHERE $1', 'COMMIT']);
    expect(client.query).toHaveBeenLastCalledWith(
      expect.objectContaining({ text: 'SELECT 2 WHERE $1' }),
      expect.any(Function),
    );
    expect(statementTimeout.stopSendingAtStartup).not.toHaveBeenCalled();
  });

  it('once a pooler refuses it at startup, connects without it and sets it with SET LOCAL in each transaction', async () => {
    const { pool, statements, statementTimeout, database } = poolWithTimeout(refused);

    await transactionOf(database)((tx) => tx.statement('SELECT 1 WHERE $1', [true]));

    expect(statementTimeout.stopSendingAtStartup).toHaveBeenCalledTimes(1);
    expect(pool.connect).toHaveBeenCalledTimes(2);
    expect(statements).toEqual(['BEGIN; SET LOCAL statement_timeout = 250', 'SELECT 1 WHERE $1', 'COMMIT']);
  });

  it('then gives each single statement a short transaction of its own, unnamed, rolled back if it fails', async () => {
    const { client, statements, database } = poolWithTimeout(refused);

    await database.statement('SELECT 1 WHERE $1', [true]);
    const timeout = Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' });
    client.query.mockImplementation(async (text) => {
      statements.push(text);
      if (text === 'SELECT 2 WHERE $1') {
        // A server times a statement out once it has run that long: 250 ms here.
        await new Promise((resolve) => setTimeout(resolve, 260));
        throw timeout;
      }
      return { rows: [], rowCount: 0 };
    });
    await expect(database.statement('SELECT 2 WHERE $1', [true])).rejects.toBe(timeout);

    expect(statements).toEqual([
      'BEGIN; SET LOCAL statement_timeout = 250',
      'SELECT 1 WHERE $1',
      'COMMIT',
      'BEGIN; SET LOCAL statement_timeout = 250',
      'SELECT 2 WHERE $1',
      'ROLLBACK',
    ]);
    expect(client.query).toHaveBeenCalledWith('SELECT 1 WHERE $1', [true], expect.any(Function));
  });

  it('tells a 57014 that came before the timeout could run out for a cancel', async () => {
    const { client, database } = poolWithTimeout(refused);
    const cancelled = Object.assign(new Error('canceling statement due to user request'), { code: '57014' });
    client.query.mockImplementation(async (text) => {
      if (text.startsWith('SELECT')) throw cancelled;
      return { rows: [], rowCount: 0 };
    });

    const failure = await database.statement('SELECT 3 WHERE $1', [true]).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(StatementCancelled);
    expect((failure as StatementCancelled).reason).toBe(cancelled);
  });

  it('reports any other refusal as it is, without connecting again', async () => {
    const other = Object.assign(new Error('unsupported startup parameter: search_path'), { code: '08P01' });
    const { pool, statementTimeout, database } = poolWithTimeout(other);

    const failure = await database.statement('SELECT 1', []).catch((error: unknown) => error);

    expect((failure as ConnectionNotObtained).reason).toBe(other);
    expect(pool.connect).toHaveBeenCalledTimes(1);
    expect(statementTimeout.stopSendingAtStartup).not.toHaveBeenCalled();
  });
});

describe('toDatabase over PGlite', () => {
  function fakePGlite(execResults: PGliteResultLike[], queryResult: PGliteResultLike) {
    const handle: PGliteTransactionLike = {
      query: jest.fn(async () => queryResult),
      exec: jest.fn(async () => execResults),
    };
    const tx: PGliteTransactionLike = { query: jest.fn(async () => queryResult), exec: jest.fn(async () => []) };
    const pglite = {
      ...handle,
      transaction: jest.fn(<T>(work: (tx: PGliteTransactionLike) => Promise<T>) => work(tx)),
    };
    return { pglite, tx, database: toDatabase(pglite) };
  }

  it("sends a query without values to exec() and returns the last statement's rows", async () => {
    const { pglite, database } = fakePGlite(
      [
        { rows: [], affectedRows: 0 },
        { rows: [{ a: 1 }, { a: 2 }], affectedRows: 5 },
      ],
      { rows: [] },
    );

    await expect(database.query('CREATE TABLE t (); SELECT a FROM t')).resolves.toEqual({
      rows: [{ a: 1 }, { a: 2 }],
      rowCount: 5,
    });
    expect(pglite.exec).toHaveBeenCalledWith('CREATE TABLE t (); SELECT a FROM t');
    expect(pglite.query).not.toHaveBeenCalled();
  });

  it.each([
    ['affectedRows as rowCount', { rows: [{ a: 1 }], affectedRows: 3 }, 3],
    ['the row count when affectedRows is missing', { rows: [{ a: 1 }, { a: 2 }] }, 2],
  ])('sends a query with values to query() and reports %s', async (_, result, rowCount) => {
    const { pglite, database } = fakePGlite([], result);

    await expect(database.query('SELECT $1', [1])).resolves.toEqual({ rows: result.rows, rowCount });
    expect(pglite.query).toHaveBeenCalledWith('SELECT $1', [1]);
    expect(pglite.exec).not.toHaveBeenCalled();
  });

  it('answers an empty exec() with no rows', async () => {
    await expect(fakePGlite([], { rows: [] }).database.query('')).resolves.toEqual({ rows: [], rowCount: 0 });
  });

  it("runs transaction work on PGlite's transaction handle", async () => {
    const { pglite, tx, database } = fakePGlite([], { rows: [{ n: 1 }] });

    await transactionOf(database)((queryable) => queryable.query('SELECT $1', [1]));

    expect(pglite.transaction).toHaveBeenCalledTimes(1);
    expect(tx.query).toHaveBeenCalledWith('SELECT $1', [1]);
    expect(pglite.query).not.toHaveBeenCalled();
  });

  it('runs withConnection work on the instance itself', async () => {
    const { pglite, database } = fakePGlite([], { rows: [] });

    await database.withConnection((connection) => connection.query('SELECT $1', [2]));

    expect(pglite.query).toHaveBeenCalledWith('SELECT $1', [2]);
    expect(pglite.transaction).not.toHaveBeenCalled();
  });
});

describe('toDatabase over a single connection', () => {
  it('has no transaction() and passes queries to the connection', async () => {
    const connection = { query: jest.fn(async () => ({ rows: [{ n: 1 }], rowCount: 1 })) };
    const database = toDatabase(connection);

    expect(database.transaction).toBeUndefined();
    await expect(database.query('SELECT $1', [1])).resolves.toEqual({ rows: [{ n: 1 }], rowCount: 1 });
    expect(connection.query).toHaveBeenCalledWith('SELECT $1', [1]);
    await expect(database.withConnection(async (held) => held === connection)).resolves.toBe(true);
  });

  it('returns a Database as it is', () => {
    const database = toDatabase({ query: jest.fn() });

    expect(toDatabase(database)).toBe(database);
  });
});

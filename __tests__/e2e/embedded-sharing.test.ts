/**
 * A held data folder shared over the holder's Unix socket: other processes (createSecretStore, the CLI) use it
 * while the holder lives, their transactions and the holder's own stay isolated from each other, a client
 * that disconnects mid-transaction gives the session back, and a holder that goes away is reported.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { Client } from 'pg';
import { z } from 'zod';

import { createSecretStore } from '../../src';
import type { Database } from '../../src/database/database';
import { openEmbeddedDatabase, type EmbeddedDatabase } from '../../src/database/embedded';
import { spawnSecretstore } from '../support/cli-process';
import { useTemporaryFolder } from '../support/temporary-folder';
import { killWorkers, startWorker, type Worker } from '../support/worker-process';

// PGlite on disk takes seconds to open, more beside other test files; each test also starts node processes.
jest.setTimeout(240_000);

const HeldBy = z.object({ pid: z.number() });

// Declared first, so that the workers are gone before their folder is removed.
afterEach(killWorkers);
const root = useTemporaryFolder('secretstore-sharing-');

/** The socket's owner-only mode, and the folder's: nobody else may connect. */
function expectPrivateSocket(socketPath: string): void {
  const socket = statSync(socketPath);
  expect(socket.isSocket()).toBe(true);
  expect(socket.mode & 0o777).toBe(0o600);
  expect(statSync(path.dirname(socketPath)).mode & 0o077).toBe(0);
}

describe('a data folder held by another process', () => {
  let dataDir: string;
  let holder: Worker;
  beforeEach(async () => {
    dataDir = root.join('data');
    holder = startWorker('hold', dataDir);
    await holder.waitFor('ready');
  });
  afterEach(async () => {
    expect(await holder.end()).toBe(0);
  });

  it('is used through the holder’s socket (mode 0600) by createSecretStore and the CLI: get, set, list, import', async () => {
    expectPrivateSocket(path.join(dataDir, '.s.PGSQL.5432'));
    expect(readFileSync(path.join(dataDir, 'lock'), 'utf8').split('\n')[0]).toBe(String(holder.pid));

    const store = await createSecretStore({ dataDir, env: {}, logger: {} });
    try {
      expect(await store.getSecret(HeldBy, 'held.by')).toEqual({ pid: holder.pid });
      await store.setSecret('from.store', { pid: process.pid });
    } finally {
      await store.close();
    }

    const inFolder = ['--json', '--data-dir', dataDir];
    const importFile = root.join('import.json');
    writeFileSync(importFile, JSON.stringify({ 'imported.one': { n: 1 }, 'imported.two': { n: 2 } }));
    const [got, set, imported] = await Promise.all([
      spawnSecretstore([...inFolder, 'get', 'from.store']),
      spawnSecretstore([...inFolder, 'set', 'from.cli', '{"n":3}']),
      spawnSecretstore([...inFolder, 'import', importFile]),
    ]);
    for (const run of [got, set, imported])
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(got.stdout)).toEqual({ key: 'from.store', value: { pid: process.pid } });
    expect(JSON.parse(imported.stdout)).toMatchObject({ created: 2, updated: 0, unchanged: 0 });

    const listed = await spawnSecretstore([...inFolder, 'list']);
    expect(listed.code).toBe(0);
    const keys = (JSON.parse(listed.stdout) as { secrets: { key: string }[] }).secrets.map((secret) => secret.key);
    expect(keys.sort()).toEqual(['from.cli', 'from.store', 'held.by', 'imported.one', 'imported.two']);
  });

  it('fails the calls of a client with DATABASE_UNAVAILABLE once the holder has closed', async () => {
    const store = await createSecretStore({ dataDir, env: {}, logger: {} });
    try {
      expect(await store.getSecret(HeldBy, 'held.by')).toEqual({ pid: holder.pid });
      // The holder waits for its clients' connections to go idle and close, then exits.
      expect(await holder.end()).toBe(0);
      await expect(store.getSecret(HeldBy, 'held.by')).rejects.toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
      await expect(store.setSecret('after.holder', { n: 1 })).rejects.toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
    } finally {
      await store.close();
    }
  });
});

/** Runs `work` in a transaction of `database`. */
function inTransaction<T>(database: Database, work: (tx: Database) => Promise<T>): Promise<T> {
  if (database.transaction === undefined) throw new Error('no transactions on this database');
  return database.transaction(work);
}

async function counter(database: Database): Promise<number> {
  const { rows } = await database.query('SELECT n FROM counter');
  return (rows[0] as { n: number }).n;
}

/** A connection of this process's own to the holder's socket, as node-postgres makes one. */
async function socketClient(embedded: EmbeddedDatabase): Promise<Client> {
  const client = new Client({ host: path.dirname(embedded.socketPath), user: 'postgres', database: 'postgres' });
  await client.connect();
  return client;
}

describe('the session a holder shares', () => {
  let dataDir: string;
  let holder: EmbeddedDatabase;
  beforeEach(async () => {
    dataDir = root.join('data');
    mkdirSync(dataDir, { mode: 0o700 });
    holder = await openEmbeddedDatabase(dataDir);
    await holder.database.query('CREATE TABLE counter (n integer NOT NULL)');
    await holder.database.query('INSERT INTO counter VALUES (0)');
  });
  afterEach(() => holder.close());

  it('runs overlapping read-modify-write transactions of two client processes and of the holder without losing one', async () => {
    const perParty = 40;
    const clients = [startWorker('increment', dataDir, perParty), startWorker('increment', dataDir, perParty)];
    const opened = await Promise.all(clients.map((client) => client.waitFor('opened')));
    expect(opened.map((event) => event.role)).toEqual(['client', 'client']);

    for (const client of clients) client.send('go');
    for (let i = 0; i < perParty; i += 1) {
      await inTransaction(holder.database, async (tx) => {
        const n = await counter(tx);
        // Gives the clients' statements every chance to slip in between the read and the write.
        await new Promise((resolve) => setImmediate(resolve));
        await tx.query('UPDATE counter SET n = $1', [n + 1]);
      });
    }
    await Promise.all(clients.map((client) => client.waitFor('incremented')));
    expect(await counter(holder.database)).toBe(3 * perParty);
  });

  it('never shows a transaction’s uncommitted write to another connection or to the holder', async () => {
    const [writer, reader] = await Promise.all([socketClient(holder), socketClient(holder)]);
    try {
      await writer.query('BEGIN');
      await writer.query('UPDATE counter SET n = 999');
      // Both wait for the session: were they run now, inside the writer's transaction, they would read 999.
      const readByClient = reader.query<{ n: number }>('SELECT n FROM counter');
      const readByHolder = counter(holder.database);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await writer.query('ROLLBACK');
      expect((await readByClient).rows).toEqual([{ n: 0 }]);
      expect(await readByHolder).toBe(0);
    } finally {
      await Promise.all([writer.end(), reader.end()]);
    }
  });

  it('rolls back the transaction of a client process killed in the middle of it, and gives its session on', async () => {
    const client = startWorker('hold-transaction', dataDir);
    expect((await client.waitFor('in-transaction')).role).toBe('client');
    // The holder's own query waits for the client's transaction, which only the client's end can finish.
    const readByHolder = counter(holder.database);
    await client.kill('SIGKILL');
    expect(await readByHolder).toBe(0);
    await holder.database.query('UPDATE counter SET n = n + 1');
    expect(await counter(holder.database)).toBe(1);
  });
});

describe('a data folder whose path is too long for a Unix socket', () => {
  it('is shared through a private socket under the OS temporary folder, removed when the holder closes', async () => {
    const dataDir = root.join('a-folder-name-long-enough'.repeat(5), 'data');
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    expect(Buffer.byteLength(path.join(dataDir, '.s.PGSQL.5432'))).toBeGreaterThan(108);

    const holder = await openEmbeddedDatabase(dataDir);
    let socketPath: string;
    try {
      socketPath = holder.socketPath;
      expect(socketPath.startsWith(tmpdir())).toBe(true);
      expectPrivateSocket(socketPath);
      expect(readFileSync(path.join(dataDir, 'lock'), 'utf8')).toContain(JSON.stringify(socketPath));

      // The holder opened the database without a key file, so this store brings its own encryption setting.
      const store = await createSecretStore({ dataDir, env: {}, encryption: 'none' });
      try {
        await store.setSecret('long.path', { ok: true });
        expect(await store.getSecret(z.object({ ok: z.boolean() }), 'long.path')).toEqual({ ok: true });
      } finally {
        await store.close();
      }
    } finally {
      await holder.close();
    }
    expect(() => statSync(path.dirname(socketPath))).toThrow();
  });
});

/**
 * The cache: served from memory, kept correct by the database's change notifications (migration 005), on a
 * real PostgreSQL and on PGlite (in-process LISTEN/NOTIFY). A TTL that never ends shows that the notification
 * alone invalidates; disabling the notifying triggers shows that a read was served from memory.
 */
import { existsSync } from 'node:fs';
import { inspect } from 'node:util';

import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Pool } from 'pg';
import { z } from 'zod';

import {
  anyJson,
  createSecretStore,
  EncryptionKey,
  generateEncryptionKey,
  InMemorySecretStoreRepository,
  PostgresSecretStoreRepository,
  SecretStore,
  SecretStoreConfigError,
  type SecretCacheOptions,
  type SecretSchema,
} from '../../src';
import { LISTENER_APPLICATION_NAME } from '../../src/database/notification-listener';
import { cacheReady } from '../../src/secretstore/secret-store';
import { useTestDatabase } from '../harness/database';
import { eventually } from '../support/eventually';
import { FaultProxy } from '../support/fault-proxy';
import { spawnSource } from '../support/source-process';
import { useTemporaryFolder } from '../support/temporary-folder';
import { testKeyring } from '../support/test-keyring';
import { Worker } from '../support/worker-process';

const testDatabase = useTestDatabase();
const Counter = z.object({ n: z.number() });
const FOREVER: SecretCacheOptions = { ttlMillis: Number.POSITIVE_INFINITY, maxEntries: 1_000 };
const keyring = testKeyring();

/** A repository over this file's database that listens on the server itself (never through a pooler). */
function repository(): PostgresSecretStoreRepository {
  const { handle, directUrl } = testDatabase();
  return new PostgresSecretStoreRepository(handle, directUrl ? { listen: { connectionString: directUrl } } : {});
}

const opened: SecretStore[] = [];

/** A metric reader the test collects from when it wants. */
class OnDemandReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }

  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

async function cachedStore(cache: SecretCacheOptions = FOREVER, over = repository()): Promise<SecretStore> {
  const store = new SecretStore(over, { encryption: keyring, cache });
  opened.push(store);
  await cacheReady(store);
  return store;
}

function writer(): SecretStore {
  return new SecretStore(new PostgresSecretStoreRepository(testDatabase().handle), { encryption: keyring });
}

/** Turns the notifying triggers off (or on): changes made meanwhile reach no cache, which shows what it serves. */
async function notifications(enabled: boolean): Promise<void> {
  const verb = enabled ? 'ENABLE' : 'DISABLE';
  for (const trigger of ['secret_store_notify_inserts', 'secret_store_notify_updates', 'secret_store_notify_deletes']) {
    await testDatabase().database.query(`ALTER TABLE secret_store ${verb} TRIGGER ${trigger}`);
  }
}

/** Writes a plaintext value straight into the row, as a hand-made UPDATE would: the same version, no store involved. */
async function overwriteInPlace(key: string, n: number): Promise<void> {
  await testDatabase().database.query(
    `UPDATE secret_store SET value = jsonb_build_object('n', $2::int), encoding = 'plain', key_id = NULL WHERE key = $1`,
    [key, n],
  );
}

let markers = 0;

/**
 * Returns once `store` has heard every change committed before the call: a marker written now is heard after
 * them (notifications arrive in commit order), so that a read made next is stored rather than raced.
 */
async function heardEverything(store: SecretStore): Promise<void> {
  const marker = `sync/${markers++}`;
  let stop: () => Promise<void> = () => Promise.resolve();
  const heard = new Promise<void>((resolve) => {
    void store.watch({ prefix: marker }, () => resolve()).then((unsubscribe) => (stop = unsubscribe));
  });
  await new Promise((resolve) => setTimeout(resolve, 0));
  await writer().setSecret(marker, { n: 0 });
  await heard;
  await stop();
}

async function readN(store: SecretStore, key: string): Promise<number | undefined> {
  return (await store.getSecret(Counter, key))?.n;
}

beforeEach(async () => {
  await testDatabase().reset();
  await notifications(true);
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

describe('a store with a cache', () => {
  it('serves from memory what a change it cannot hear leaves behind, and hears the next change of it', async () => {
    const cached = await cachedStore();
    const other = writer();
    await other.setSecret('app/a', { n: 1 });
    await heardEverything(cached);
    expect(await readN(cached, 'app/a')).toBe(1);
    expect(cached.describe().cache).toEqual({ live: true, keys: 1, lists: 0 });

    await notifications(false);
    await overwriteInPlace('app/a', 2);
    // The row says 2; the cache, which heard nothing, still serves 1: it did not read the database.
    expect(await readN(cached, 'app/a')).toBe(1);

    await notifications(true);
    await other.setSecret('app/a', { n: 3 });
    await eventually('the cache hears the change', async () =>
      (await readN(cached, 'app/a')) === 3 ? true : undefined,
    );
  });

  it('remembers a missing key, and hears when it is created', async () => {
    const cached = await cachedStore();
    expect(await cached.getSecret(Counter, 'app/new')).toBeUndefined();
    expect(cached.describe().cache?.keys).toBe(1);
    await writer().setSecret('app/new', { n: 1 });
    await eventually('the miss is forgotten', async () => ((await readN(cached, 'app/new')) === 1 ? true : undefined));
  });

  it('drops its own writes at once, without waiting for their notification', async () => {
    const cached = await cachedStore();
    await cached.setSecret('app/own', { n: 1 });
    expect(await readN(cached, 'app/own')).toBe(1);
    await notifications(false);
    await cached.setSecret('app/own', { n: 2 });
    expect(await readN(cached, 'app/own')).toBe(2);
    await cached.setSecrets([{ key: 'app/own', value: { n: 3 } }]);
    expect(await readN(cached, 'app/own')).toBe(3);
    await cached.deleteSecret('app/own');
    expect(await readN(cached, 'app/own')).toBeUndefined();
    await cached.undeleteSecret('app/own');
    expect(await readN(cached, 'app/own')).toBe(3);
    await cached.restoreSecretVersion('app/own', 1);
    expect(await readN(cached, 'app/own')).toBe(1);
    await cached.destroySecret('app/own');
    expect(await readN(cached, 'app/own')).toBeUndefined();
  });

  it.each([
    ['a new version', (other: SecretStore) => other.setSecret('app/race', { n: 2 }), 'set'],
    // The same version: only the read's ticket, not the version it saw, tells that it raced.
    ['the same version stored anew', () => overwriteInPlace('app/race', 2), 'reencrypt'],
  ])('never stores what a read saw when a change (%s) was heard while it ran', async (_, change, operation) => {
    const base = repository();
    let hold: Promise<void> | undefined;
    let answered = false;
    // Every call goes to the real repository; getSecret's answer can be held back after the database gave it.
    const held = new Proxy(base, {
      get(target, property, receiver) {
        if (property === 'getSecret') {
          return async (key: string) => {
            const record = await target.getSecret(key);
            answered = true;
            await hold;
            return record;
          };
        }
        const member: unknown = Reflect.get(target, property, receiver);
        return typeof member === 'function' ? (member as (...args: unknown[]) => unknown).bind(target) : member;
      },
    });
    const cached = await cachedStore(FOREVER, held);
    const other = writer();
    await other.setSecret('app/race', { n: 1 });
    await heardEverything(cached);
    const operations: string[] = [];
    const stop = await cached.watch({ prefix: 'app/race' }, (event) => {
      if (event.type === 'change') operations.push(event.operation);
    });

    let release: () => void = () => undefined;
    hold = new Promise((resolve) => (release = resolve));
    const racing = readN(cached, 'app/race');
    await eventually('the database answered', async () => (answered ? true : undefined));
    // The read has its answer (1) and waits; meanwhile another process writes 2, and the cache hears it.
    await change(other);
    await eventually('the change is heard', async () => (operations.includes(operation) ? true : undefined));
    release();
    hold = undefined;
    expect(await racing).toBe(1);
    // What the racing read saw was not stored: with a TTL that never ends, a stored 1 would be served now.
    expect(await readN(cached, 'app/race')).toBe(2);
    await stop();
  });

  it('reads and writes inside transaction() past the cache, and drops what a transaction wrote once it ends', async () => {
    const cached = await cachedStore();
    await cached.setSecret('app/tx', { n: 1 });
    await heardEverything(cached);
    expect(await readN(cached, 'app/tx')).toBe(1);
    await notifications(false);
    await overwriteInPlace('app/tx', 2);

    await cached.transaction(async (tx) => {
      // Inside, the database; outside, still the cache.
      expect(await readN(tx, 'app/tx')).toBe(2);
      expect(await readN(cached, 'app/tx')).toBe(1);
      await tx.setSecret('app/tx', { n: 3 });
    });
    expect(await readN(cached, 'app/tx')).toBe(3);

    await expect(
      cached.transaction(async (tx) => {
        await tx.setSecret('app/tx', { n: 4 });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await readN(cached, 'app/tx')).toBe(3);
    // Nothing a transaction read was stored: a value overwritten in place is seen by the next read outside.
    await cached.transaction((tx) => readN(tx, 'app/tx'));
    await overwriteInPlace('app/tx', 5);
    expect(await readN(cached, 'app/tx')).toBe(3);
  });

  it('hands out values that cannot be changed into the cache', async () => {
    const cached = await cachedStore();
    await cached.setSecret('app/frozen', { n: 1, nested: { list: [1, 2] } });
    const first = (await cached.getSecret(anyJson, 'app/frozen')) as { n: number; nested: { list: number[] } };
    const again = (await cached.getSecret(anyJson, 'app/frozen')) as { n: number; nested: { list: number[] } };
    expect(() => {
      again.n = 2;
    }).toThrow(TypeError);
    expect(() => again.nested.list.push(3)).toThrow(TypeError);
    expect(first).toEqual({ n: 1, nested: { list: [1, 2] } });
    // A schema that builds its output gives the caller its own object.
    const parsed = await cached.getSecretOrThrow(
      z.object({ n: z.number(), nested: z.object({}).loose() }),
      'app/frozen',
    );
    parsed.n = 9;
    expect(await readN(cached, 'app/frozen')).toBe(1);
  });

  it('lets the TTL end what it cannot hear', async () => {
    const cached = await cachedStore({ ttlMillis: 100, maxEntries: 10 });
    await cached.setSecret('app/ttl', { n: 1 });
    await heardEverything(cached);
    expect(await readN(cached, 'app/ttl')).toBe(1);
    await notifications(false);
    await overwriteInPlace('app/ttl', 2);
    expect(await readN(cached, 'app/ttl')).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await readN(cached, 'app/ttl')).toBe(2);
  });

  it('keeps at most maxEntries secrets, the least recently used leaving first', async () => {
    const cached = await cachedStore({ ttlMillis: Number.POSITIVE_INFINITY, maxEntries: 2 });
    await cached.setSecrets([1, 2, 3].map((n) => ({ key: `app/lru${n}`, value: { n } })));
    await heardEverything(cached);
    await readN(cached, 'app/lru1');
    await readN(cached, 'app/lru2');
    await readN(cached, 'app/lru1');
    await readN(cached, 'app/lru3');
    expect(cached.describe().cache?.keys).toBe(2);
    await notifications(false);
    for (const n of [1, 2, 3]) await overwriteInPlace(`app/lru${n}`, n * 10);
    // 1 and 3 are held; 2 left first.
    expect([await readN(cached, 'app/lru1'), await readN(cached, 'app/lru3')]).toEqual([1, 3]);
    expect(await readN(cached, 'app/lru2')).toBe(20);
  });

  it('serves getSecrets and getSecretsByKeys, in key order, and drops a listing when a key under it changes', async () => {
    const cached = await cachedStore();
    const other = writer();
    await other.setSecrets(['b', 'a', 'c'].map((name, n) => ({ key: `env/${name}`, value: { n } })));
    await heardEverything(cached);
    const listing = async () => (await cached.getSecrets(Counter, 'env/')).map(({ key, value }) => `${key}=${value.n}`);
    expect(await listing()).toEqual(['env/a=1', 'env/b=0', 'env/c=2']);
    expect(cached.describe().cache).toMatchObject({ lists: 1 });

    await other.setSecret('env/d', { n: 3 });
    await eventually('the listing sees a new key', async () => ((await listing()).length === 4 ? true : undefined));
    await heardEverything(cached);
    await listing();
    expect(cached.describe().cache).toMatchObject({ lists: 1 });

    // By keys: one held, one missing, one read; in key order whatever the order asked.
    await notifications(false);
    await overwriteInPlace('env/a', 10);
    const byKeys = await cached.getSecretsByKeys(Counter, ['env/c', 'env/zz', 'env/a', 'env/c']);
    expect(byKeys).toEqual([
      { key: 'env/a', value: { n: 1 } },
      { key: 'env/c', value: { n: 2 } },
    ]);
  });

  it('counts and refuses expired secrets on a hit as on a read', async () => {
    const store = new SecretStore(repository(), { encryption: keyring, cache: FOREVER, rejectExpired: true });
    opened.push(store);
    await cacheReady(store);
    await store.setSecret('app/exp', { n: 1 }, { metadata: { expiresAt: new Date(Date.now() + 300) } });
    await heardEverything(store);
    expect(await readN(store, 'app/exp')).toBe(1);
    // Unheard, the row loses its expiry: only the cached copy still has it.
    await notifications(false);
    await testDatabase().database.query("UPDATE secret_store SET expires_at = NULL WHERE key = 'app/exp'");
    await new Promise((resolve) => setTimeout(resolve, 350));
    await expect(store.getSecret(Counter, 'app/exp')).rejects.toMatchObject({ code: 'SECRET_EXPIRED' });
  });

  it('never serves a store that audits reads from memory: every read is recorded', async () => {
    const store = new SecretStore(repository(), { encryption: keyring, cache: FOREVER, auditReads: true });
    opened.push(store);
    expect(store.describe().cache).toBeUndefined();
    await store.setSecret('app/audited', { n: 1 });
    await readN(store, 'app/audited');
    await readN(store, 'app/audited');
    const { records } = await store.readAuditTrail({ key: 'app/audited' });
    expect(records.filter(({ operation }) => operation === 'read')).toHaveLength(2);
  });

  it('gives a hit a span and a duration like a read, and counts hits and misses', async () => {
    const exporter = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const reader = new OnDemandReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    const store = new SecretStore(repository(), {
      encryption: keyring,
      cache: FOREVER,
      telemetry: { tracerProvider, meterProvider },
    });
    opened.push(store);
    await cacheReady(store);
    await store.setSecret('app/traced', { n: 1 });
    await heardEverything(store);
    exporter.reset();
    await readN(store, 'app/traced');
    await readN(store, 'app/traced');
    await store.getSecretsByKeys(Counter, ['app/traced', 'app/traced']);
    await expect(store.getSecretOrThrow(Counter, 'app/missing')).rejects.toMatchObject({ code: 'SECRET_NOT_FOUND' });
    await expect(store.getSecretOrThrow(Counter, 'app/missing')).rejects.toMatchObject({ code: 'SECRET_NOT_FOUND' });
    const spans = exporter.getFinishedSpans().filter(({ name }) => name.startsWith('secretstore.get'));
    expect(
      spans.map(({ name, attributes }) => [
        name,
        attributes['secretstore.cache.result'] ?? 'read',
        attributes['secretstore.outcome'],
      ]),
    ).toEqual([
      ['secretstore.getSecret', 'read', 'ok'],
      ['secretstore.getSecret', 'hit', 'ok'],
      ['secretstore.getSecretsByKeys', 'hit', 'ok'],
      ['secretstore.getSecretOrThrow', 'read', 'error'],
      ['secretstore.getSecretOrThrow', 'hit', 'error'],
    ]);
    const { resourceMetrics } = await reader.collect();
    const lookups = resourceMetrics.scopeMetrics
      .flatMap(({ metrics: found }) => found)
      .find(({ descriptor }) => descriptor.name === 'secretstore.cache.lookups');
    const counted = Object.fromEntries(
      (lookups?.dataPoints ?? []).map(({ attributes, value }) => [
        `${String(attributes['secretstore.operation'])} ${String(attributes['secretstore.cache.result'])}`,
        value,
      ]),
    );
    expect(counted).toEqual({
      'getSecret miss': 1,
      'getSecret hit': 1,
      'getSecretsByKeys hit': 1,
      'getSecretOrThrow miss': 1,
      'getSecretOrThrow hit': 1,
    });
    await meterProvider.shutdown();
  });

  it('serves nothing from memory once closed, and starts no watch then', async () => {
    const cached = new SecretStore(repository(), { encryption: keyring, cache: FOREVER });
    await cacheReady(cached);
    await cached.setSecret('app/closed', { n: 1 });
    await cached.close();
    expect(cached.describe().cache).toEqual({ live: false, keys: 0, lists: 0 });
    // Over the application's own pool the store still reads, from the database only.
    expect(await readN(cached, 'app/closed')).toBe(1);
    await notifications(false);
    await overwriteInPlace('app/closed', 2);
    expect(await readN(cached, 'app/closed')).toBe(2);
    await expect(cached.watch({}, () => undefined)).rejects.toMatchObject({ code: 'INVALID_CONFIGURATION' });
  });

  it('remembers keys found missing among keys it holds', async () => {
    const cached = await cachedStore();
    await cached.setSecret('app/held', { n: 1 });
    await heardEverything(cached);
    await readN(cached, 'app/held');
    expect(await cached.getSecretsByKeys(Counter, ['app/held', 'app/none'])).toHaveLength(1);
    expect(cached.describe().cache?.keys).toBe(2);
  });

  it('keeps values and keys out of util.inspect and JSON', async () => {
    const cached = await cachedStore();
    await cached.setSecret('app/visible-key', { token: 'cached-value-4f1c' });
    await cached.getSecret(anyJson, 'app/visible-key');
    const shown = `${inspect(cached, { depth: 10, showHidden: true })} ${JSON.stringify(cached)}`;
    expect(shown).not.toContain('cached-value-4f1c');
    expect(shown).not.toContain('visible-key');
  });
});

function thrownBy(work: () => unknown): unknown {
  try {
    work();
  } catch (error) {
    return error;
  }
  throw new Error('nothing was thrown');
}

describe('cache settings', () => {
  it.each([
    [{ ttlMillis: 0, maxEntries: 1 }, 'cache.ttlMillis'],
    [{ ttlMillis: Number.NaN, maxEntries: 1 }, 'cache.ttlMillis'],
    [{ ttlMillis: 1000, maxEntries: 0 }, 'cache.maxEntries'],
    [{ ttlMillis: 1000, maxEntries: 1.5 }, 'cache.maxEntries'],
    [{ ttlMillis: 1000, maxEntries: 1, staleIfErrorMillis: -1 }, 'cache.staleIfErrorMillis'],
    ['yes', 'cache'],
  ])('refuses %j, naming %s', (cache, setting) => {
    expect(
      thrownBy(() => new SecretStore(repository(), { encryption: keyring, cache: cache as SecretCacheOptions })),
    ).toMatchObject({
      code: 'INVALID_CONFIGURATION',
      setting,
    });
  });

  it('refuses a repository that cannot report changes, and a connection whose transactions the caller manages', () => {
    expect(() => new SecretStore(new InMemorySecretStoreRepository(), { encryption: keyring, cache: FOREVER })).toThrow(
      SecretStoreConfigError,
    );
    const single = { query: (text: string, values?: unknown[]) => testDatabase().database.query(text, values) };
    expect(
      () => new SecretStore(new PostgresSecretStoreRepository(single), { encryption: keyring, cache: FOREVER }),
    ).toThrow(/transactions the caller manages/);
  });
});

const serverOnly = () => testDatabase().mode === 'server';

describe('the listening connection', () => {
  async function listenerPids(): Promise<number[]> {
    const { rows } = await testDatabase().database.query(
      'SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()',
      [LISTENER_APPLICATION_NAME],
    );
    return (rows as { pid: number }[]).map(({ pid }) => pid);
  }

  it('when it drops, the cache is flushed and bypassed until it is back, and watchers get a resync', async () => {
    // PGlite listens in its own process and session: there is no connection to drop.
    if (!serverOnly()) return;
    const cached = await cachedStore();
    const events: string[] = [];
    const stop = await cached.watch({}, (event) => events.push(event.type));
    await cached.setSecret('app/drop', { n: 1 });
    await heardEverything(cached);
    expect(await readN(cached, 'app/drop')).toBe(1);
    const pids = await listenerPids();
    expect(pids.length).toBeGreaterThan(0);

    await notifications(false);
    await testDatabase().database.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) pid', [pids]);
    await eventually('the loss is noticed', async () => (cached.describe().cache?.live === false ? true : undefined));
    // Not live: the database answers, even for what was cached.
    await overwriteInPlace('app/drop', 2);
    expect(await readN(cached, 'app/drop')).toBe(2);
    expect(cached.describe().cache).toMatchObject({ keys: 0 });

    await eventually('listening again', async () => (cached.describe().cache?.live ? true : undefined));
    expect(events).toContain('resync');
    expect(await listenerPids()).not.toEqual(expect.arrayContaining(pids));
    await notifications(true);
    expect(await readN(cached, 'app/drop')).toBe(2);
    await stop();
  });

  it('is one connection for the cache and every watcher, closed with the store', async () => {
    if (!serverOnly()) return;
    const cached = await cachedStore();
    const stops = await Promise.all([
      cached.watch({}, () => undefined),
      cached.watch({ prefix: 'a' }, () => undefined),
    ]);
    expect(await listenerPids()).toHaveLength(1);
    await Promise.all(stops.map((stop) => stop()));
    expect(await listenerPids()).toHaveLength(1);
    await cached.close();
    await eventually('the listener is gone', async () => ((await listenerPids()).length === 0 ? true : undefined));
  });

  it('serves what it held while the database cannot be reached, within staleIfErrorMillis only', async () => {
    // On PGlite, through the socket the harness serves it on: LISTEN succeeds there, and no notification comes.
    const target = testDatabase().directUrl ?? (await testDatabase().tcpUrl());
    const proxy = await FaultProxy.inFrontOf(target);
    const pool = new Pool({ connectionString: proxy.urlFor(target), max: 2, connectionTimeoutMillis: 2_000 });
    pool.on('error', () => undefined);
    const overProxy = () =>
      new PostgresSecretStoreRepository(pool, { listen: { connectionString: proxy.urlFor(target) } });
    try {
      const stale = await cachedStore(
        { ttlMillis: Number.POSITIVE_INFINITY, maxEntries: 10, staleIfErrorMillis: 60_000 },
        overProxy(),
      );
      const strict = await cachedStore(FOREVER, overProxy());
      await writer().setSecret('app/offline', { n: 1 });
      if (serverOnly()) {
        await heardEverything(stale);
        await heardEverything(strict);
      }
      for (const store of [stale, strict]) {
        expect(await readN(store, 'app/offline')).toBe(1);
        expect(await store.getSecretsByKeys(Counter, ['app/offline', 'app/absent'])).toHaveLength(1);
        expect(await store.getSecrets(Counter, 'app/')).toHaveLength(1);
      }
      await proxy.close();
      await eventually('the loss is noticed', async () => (stale.describe().cache?.live === false ? true : undefined));
      expect(await readN(stale, 'app/offline')).toBe(1);
      expect(await stale.getSecretsByKeys(Counter, ['app/absent', 'app/offline'])).toEqual([
        { key: 'app/offline', value: { n: 1 } },
      ]);
      expect(await stale.getSecrets(Counter, 'app/')).toEqual([{ key: 'app/offline', value: { n: 1 } }]);
      await expect(stale.getSecret(Counter, 'app/never-read')).rejects.toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
      await expect(stale.getSecretsByKeys(Counter, ['app/offline', 'app/never-read'])).rejects.toMatchObject({
        code: 'DATABASE_UNAVAILABLE',
      });
      await expect(stale.getSecrets(Counter, 'other/')).rejects.toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
      await expect(strict.getSecret(Counter, 'app/offline')).rejects.toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
      await expect(strict.getSecrets(Counter, 'app/')).rejects.toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
    } finally {
      await Promise.all(opened.splice(0).map((store) => store.close()));
      await pool.end();
      await proxy.close().catch(() => undefined);
    }
  }, 60_000);

  it('parses cached values with an asynchronous schema too', async () => {
    const cached = await cachedStore();
    await cached.setSecrets([1, 2].map((n) => ({ key: `async/${n}`, value: { n } })));
    await heardEverything(cached);
    const Later: SecretSchema<number> = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: (value) => Promise.resolve({ value: (value as { n: number }).n * 10 }),
      },
    };
    for (let round = 0; round < 2; round++) {
      // The first round reads and stores; the second is served from memory.
      expect((await cached.getSecrets(Later, 'async/')).map(({ value }) => value)).toEqual([10, 20]);
      expect((await cached.getSecretsByKeys(Later, ['async/2', 'async/1'])).map(({ value }) => value)).toEqual([
        10, 20,
      ]);
      expect(await cached.getSecret(Later, 'async/2')).toBe(20);
    }
    expect(cached.describe().cache).toMatchObject({ keys: 2, lists: 1 });
  });
});

describe('createSecretStore with a cache', () => {
  const folder = useTemporaryFolder('secretstore-cache-');

  it('listens with the connection settings of the pool it opens, or on listenDatabase', async () => {
    if (!serverOnly()) return;
    const { url, directUrl } = testDatabase();
    // Through PgBouncer in transaction mode the pool's own settings would not keep a LISTEN: listenDatabase then.
    const viaPooler = url !== directUrl;
    const store = await createSecretStore({
      db: url,
      encryption: keyring,
      cache: FOREVER,
      ...(viaPooler ? { listenDatabase: directUrl } : {}),
    });
    opened.push(store);
    expect(store.describe().cache).toEqual({ live: true, keys: 0, lists: 0 });
    await writer().setSecret('made/a', { n: 1 });
    await heardEverything(store);
    expect(await readN(store, 'made/a')).toBe(1);
    await writer().setSecret('made/a', { n: 2 });
    await eventually('the change is heard', async () => ((await readN(store, 'made/a')) === 2 ? true : undefined));
  });

  it('refuses a cache over the embedded folder before making anything, and an empty listenDatabase', async () => {
    {
      const dataDir = folder.join('store');
      await expect(createSecretStore({ env: {}, dataDir, cache: FOREVER })).rejects.toMatchObject({
        code: 'INVALID_CONFIGURATION',
        setting: 'cache',
      });
      expect(existsSync(dataDir)).toBe(false);
      await expect(
        createSecretStore({ env: { SECRETSTORE_LISTEN_DATABASE_URL: ' ' }, dataDir, encryption: keyring }),
      ).rejects.toMatchObject({ code: 'INVALID_CONFIGURATION', setting: 'SECRETSTORE_LISTEN_DATABASE_URL' });
      expect(existsSync(dataDir)).toBe(false);
      // Without a cache the folder opens, and watch() says why it cannot.
      const embedded = await createSecretStore({ env: {}, dataDir });
      try {
        await expect(embedded.watch({}, () => undefined)).rejects.toThrow(/embedded database folder/);
      } finally {
        await embedded.close();
      }
    }
  }, 60_000);
});

describe('between processes', () => {
  it('a write acknowledged in one process stops being served from another one’s cache (TTL never ends)', async () => {
    if (!serverOnly()) return;
    const { url, directUrl } = testDatabase();
    const key = generateEncryptionKey();
    const env = {
      SECRETSTORE_ENCRYPTION_KEYS: `k1:${key}`,
      SECRETSTORE_LISTEN_DATABASE_URL: directUrl as string,
    };
    const worker = new Worker(spawnSource('__tests__/support/cache-worker.ts', [url as string], env));
    try {
      const here = new SecretStore(new PostgresSecretStoreRepository(testDatabase().handle), {
        encryption: { keys: { k1: EncryptionKey.fromBase64(key) }, activeKeyId: 'k1' },
      });
      await worker.waitFor('ready');
      await here.setSecret('proc/a', { n: 1 });
      worker.send('await proc/a 1');
      await worker.waitFor('saw');
      const saw = () => worker.events.filter(({ event }) => event === 'saw');
      for (let n = 2; n <= 6; n++) {
        // The worker's cache holds n - 1 (it read it last); its TTL never ends, so only the notification can end it.
        await here.setSecret('proc/a', { n });
        worker.send(`await proc/a ${n}`);
        await eventually(`the worker saw ${n}`, async () => (saw().length === n ? true : undefined), 30_000);
      }
      // Each value was cached in the worker before the next write: only that write's notification ended it.
      expect(saw().map(({ n, cached }) => ({ n, cached }))).toEqual(
        [1, 2, 3, 4, 5, 6].map((n) => ({ n, cached: true })),
      );
    } finally {
      await worker.end();
    }
  }, 60_000);
});

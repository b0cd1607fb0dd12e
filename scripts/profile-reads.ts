/**
 * tsx scripts/profile-reads.ts: what the store's reads cost the process that runs them, as an application
 * runs them (the store alone in its process and heap). On a scratch database of DATABASE_URL's server
 * (default postgres://postgres@127.0.0.1:5432/postgres), writes `--rows` secrets under one prefix, then times,
 * one call at a time: getSecrets(prefix), getSecretsByKeys(every key) and getSecret. For each it reports the
 * client CPU (user + system, process.cpuUsage) per row read and the GC pause time (PerformanceObserver 'gc')
 * per call, for `--rounds` rounds after a warm-up, and their medians.
 *
 * With --floor it times, instead of the store, a hand-written reader of the same rows: pg's Pool.query (its
 * callback form underneath), the store's own decryption, JSON.parse and the same zod schema, and nothing else.
 *
 * With --algorithm xchacha20-poly1305 the store writes (and so reads) XChaCha20-Poly1305 rows instead of
 * AES-256-GCM ones (sodium-native must be installed).
 *
 *   npx tsx scripts/profile-reads.ts [--rows 1000] [--lists 200] [--gets 5000] [--rounds 3] [--floor]
 *     [--algorithm aes-256-gcm|xchacha20-poly1305]
 */
import { parseArgs } from 'node:util';
import { PerformanceObserver, performance } from 'node:perf_hooks';

import { Pool } from 'pg';
import { z } from 'zod';

import { createSecretStore, EncryptionKey, type EncryptionAlgorithm, type KeyringOptions } from '../src';
import { createCodec, type SecretCodec } from '../src/encryption/secret-codec';
import type { SecretEncoding } from '../src/secretstore/secret-record';
import { createScratchDatabase } from './scratch-database';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000' },
    lists: { type: 'string', default: '200' },
    gets: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '3' },
    floor: { type: 'boolean', default: false },
    algorithm: { type: 'string', default: 'aes-256-gcm' },
  },
});
const ROWS = Number(args.rows);
const LISTS = Number(args.lists);
const GETS = Number(args.gets);
const ROUNDS = Number(args.rounds);
const PREFIX = 'profile.tenant.';

const Secret = z.object({
  owner: z.string(),
  apiKey: z.string(),
  webhookSecret: z.string(),
  scopes: z.array(z.string()),
  rotatedAt: z.string(),
});

/** The same shape and size (~200 bytes of JSON) as the benchmark's secrets. */
function secretFor(key: string): z.infer<typeof Secret> {
  return {
    owner: key,
    apiKey: `sk_live_${Buffer.from(key).toString('hex').padEnd(48, '0').slice(0, 48)}`,
    webhookSecret: 'whsec_0123456789abcdef0123456789abcdef',
    scopes: ['read', 'write'],
    rotatedAt: '2025-01-01T00:00:00.000Z',
  };
}

/** GC pauses as they are reported: the observer hears of them a turn later, so a window is read after one. */
const gcPauses: { start: number; duration: number }[] = [];
const gcObserver = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcPauses.push({ start: entry.startTime, duration: entry.duration });
});
gcObserver.observe({ entryTypes: ['gc'] });

interface Sample {
  /** Client CPU per row read, µs. */
  cpuPerRow: number;
  /** GC pause time per call, ms. */
  gcPerCall: number;
  /** Wall time per call, median, µs. */
  wallP50: number;
}

async function measure(calls: number, rowsPerCall: number, call: (index: number) => Promise<number>): Promise<Sample> {
  const walls = new Array<number>(calls);
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (let index = 0; index < calls; index++) {
    const callStarted = performance.now();
    const read = await call(index);
    walls[index] = performance.now() - callStarted;
    if (read !== rowsPerCall) throw new Error(`read ${read} rows, expected ${rowsPerCall}`);
  }
  const used = process.cpuUsage(cpu);
  const ended = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 20));
  const gc = gcPauses
    .filter(({ start }) => start >= started && start <= ended)
    .reduce((sum, { duration }) => sum + duration, 0);
  walls.sort((a, b) => a - b);
  return {
    cpuPerRow: (used.user + used.system) / (calls * rowsPerCall),
    gcPerCall: gc / calls,
    wallP50: walls[Math.floor(calls / 2)] * 1000,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function report(name: string, samples: Sample[]): void {
  const line = (label: string, sample: Sample) =>
    `${name.padEnd(22)} ${label.padEnd(7)} CPU ${sample.cpuPerRow.toFixed(2).padStart(7)} µs/row  ` +
    `GC ${sample.gcPerCall.toFixed(3).padStart(7)} ms/call  wall p50 ${sample.wallP50.toFixed(0).padStart(6)} µs`;
  samples.forEach((sample, index) => console.log(line(`round ${index + 1}`, sample)));
  console.log(
    line('median', {
      cpuPerRow: median(samples.map(({ cpuPerRow }) => cpuPerRow)),
      gcPerCall: median(samples.map(({ gcPerCall }) => gcPerCall)),
      wallP50: median(samples.map(({ wallP50 }) => wallP50)),
    }),
  );
}

/** The three reads being profiled, each resolving how many rows it returned. */
interface Reader {
  list(): Promise<number>;
  byKeys(keys: string[]): Promise<number>;
  get(key: string): Promise<number>;
}

interface FloorRow {
  key: string;
  valueJson: string;
  encoding: SecretEncoding;
  keyId: string | null;
  writeId: string | null;
}

const FLOOR_COLUMNS = `key, value::text AS "valueJson", encoding, key_id AS "keyId", write_id AS "writeId"`;

function floorReader(pool: Pool, codec: SecretCodec): Reader {
  const decode = (rows: FloorRow[]) =>
    rows.map((row) => ({ key: row.key, value: Secret.parse(JSON.parse(codec.decode(row.key, row))) }));
  const read = async (text: string, values: unknown[]) => decode((await pool.query<FloorRow>(text, values)).rows);
  return {
    list: async () =>
      (
        await read(`SELECT ${FLOOR_COLUMNS} FROM secret_store WHERE key >= $1 AND key < $2 ORDER BY key`, [
          PREFIX,
          `${PREFIX.slice(0, -1)}/`,
        ])
      ).length,
    byKeys: async (keys) =>
      (await read(`SELECT ${FLOOR_COLUMNS} FROM secret_store WHERE key = ANY($1::text[]) ORDER BY key`, [keys])).length,
    get: async (key) => (await read(`SELECT ${FLOOR_COLUMNS} FROM secret_store WHERE key = $1`, [key])).length,
  };
}

async function profile(reader: Reader, keys: string[], label: string): Promise<void> {
  const list = () => reader.list();
  const byKeys = () => reader.byKeys(keys);
  const get = (index: number) => reader.get(keys[index % keys.length]);
  const listWarmUp = Math.max(10, Math.floor(LISTS / 10));
  const getWarmUp = Math.max(100, Math.floor(GETS / 10));

  const results: Record<string, Sample[]> = { 'getSecrets(prefix)': [], getSecretsByKeys: [], getSecret: [] };
  await measure(listWarmUp, ROWS, list);
  await measure(listWarmUp, ROWS, byKeys);
  await measure(getWarmUp, 1, get);
  for (let round = 0; round < ROUNDS; round++) {
    results['getSecrets(prefix)'].push(await measure(LISTS, ROWS, list));
    results['getSecretsByKeys'].push(await measure(LISTS, ROWS, byKeys));
    results['getSecret'].push(await measure(GETS, 1, get));
  }
  console.log(
    `${label}: ${ROWS} rows; ${LISTS} lists and ${GETS} getSecret calls per round, one at a time; node ${process.version}`,
  );
  for (const [name, samples] of Object.entries(results)) report(name, samples);
}

async function main(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const scratch = await createScratchDatabase(serverUrl, 'secretstore_profile');
  try {
    const keyring: KeyringOptions = {
      keys: { 'profile-k1': EncryptionKey.generate() },
      activeKeyId: 'profile-k1',
      algorithm: args.algorithm as EncryptionAlgorithm,
    };
    const store = await createSecretStore({ db: scratch.url, encryption: keyring, migrate: true });
    const keys = Array.from({ length: ROWS }, (_, index) => `${PREFIX}${String(index).padStart(5, '0')}`);
    try {
      await store.setSecrets(keys.map((key) => ({ key, value: secretFor(key) })));
      if (!args.floor) {
        await profile(
          {
            list: async () => (await store.getSecrets(Secret, PREFIX)).length,
            byKeys: async (keys) => (await store.getSecretsByKeys(Secret, keys)).length,
            get: async (key) => ((await store.getSecret(Secret, key)) ? 1 : 0),
          },
          keys,
          'store',
        );
      }
    } finally {
      await store.close();
    }
    if (args.floor) {
      // The store is closed: its pool and heap are not in the floor's way.
      const pool = new Pool({ connectionString: scratch.url, max: 10 });
      try {
        await profile(floorReader(pool, createCodec(keyring)), keys, 'floor');
      } finally {
        await pool.end();
      }
    }
  } finally {
    gcObserver.disconnect();
    await scratch.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

import { parseEncryptionKeys } from '../dist/index.js';
import { type Contender } from './contender';
import { FloorContender } from './contenders/floor';
import { KyselyContender } from './contenders/kysely';
import { PostgresJsContender } from './contenders/postgres-js';
import { RawPgContender } from './contenders/raw-pg';
import { SecretStoreContender } from './contenders/secret-store';
import { benchPool, secretFor } from './fixture';
import { type PointOperation } from './operations';

/** Everything a contender needs to open, in whichever process: plain values, passed to a child as JSON. */
export interface ContenderSetup {
  url: string;
  keyId: string;
  /** The AES-256 key in base64: the store parses it as its keyring, the floor uses it directly. */
  keyBase64: string;
  /** The store's encryption of one secret, which the non-decrypting contenders write. */
  envelope: string;
}

/** Every contender, in the order of the first round; `pg` is the baseline, `floor` the floor. */
export const CONTENDER_IDS = [
  'secretstore',
  'floor',
  'pg',
  'pg-named',
  'postgres-js',
  'kysely',
  'secretstore-cached',
] as const;
export type ContenderId = (typeof CONTENDER_IDS)[number];

/** The cached store's cache: an hour and room for every row, so that only a change ends an entry. */
export const CACHE = { ttlMillis: 3_600_000, maxEntries: 100_000 };

/**
 * Contenders that read every key of the get operations once before they are timed: a cache must hold what it
 * will be asked for (the server's buffers hold every row already: seeding wrote them and VACUUM read them).
 */
export const READ_EVERY_KEY_FIRST: readonly ContenderId[] = ['secretstore-cached'];

/** The operations each contender is timed in; a contender not named here is timed in all. */
export const TIMED_OPERATIONS: Partial<Record<ContenderId, readonly PointOperation[]>> = {
  // What the cache is for: reads by key served from memory, against raw pg's round trip.
  'secretstore-cached': ['get'],
};

/** What every contender writes when it encrypts (SecretStore and the floor). */
export const WRITE_VALUE = secretFor('bench.write');

export function keyringOf(setup: ContenderSetup) {
  return parseEncryptionKeys(`${setup.keyId}:${setup.keyBase64}`);
}

/** Opens contender `id` over a pool of its own. */
export function openContender(id: ContenderId, setup: ContenderSetup): Contender {
  const { url, envelope, keyId } = setup;
  switch (id) {
    case 'secretstore':
      return new SecretStoreContender(benchPool(url), keyringOf(setup), WRITE_VALUE);
    case 'floor':
      return new FloorContender(benchPool(url), keyId, setup.keyBase64, WRITE_VALUE);
    case 'pg':
      return new RawPgContender(benchPool(url), false, envelope, keyId);
    case 'pg-named':
      return new RawPgContender(benchPool(url), true, envelope, keyId);
    case 'postgres-js':
      return new PostgresJsContender(url, envelope, keyId);
    case 'kysely':
      return new KyselyContender(benchPool(url), envelope, keyId);
    case 'secretstore-cached':
      return new SecretStoreContender(benchPool(url), keyringOf(setup), WRITE_VALUE, CACHE);
  }
}

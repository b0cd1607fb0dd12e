import { randomBytes } from 'node:crypto';

import { Pool } from 'pg';
import { z } from 'zod';

import { type SecretStore } from '../dist/index.js';

/** Every contender gets a pool of this size: the library's default, and the same for everyone. */
export const POOL_MAX = 10;
export const TENANTS = 100;
export const KEYS_PER_TENANT = 1_000;
/** Tenants 000–009 hold real per-key ciphertexts: the rows every contender reads. */
export const READ_TENANTS = 10;

export function tenantPrefix(tenant: number): string {
  return `tenant.${String(tenant).padStart(3, '0')}.secret.`;
}

export function readKey(index: number): string {
  const slot = index % (READ_TENANTS * KEYS_PER_TENANT);
  return `${tenantPrefix(Math.floor(slot / KEYS_PER_TENANT))}${slot % KEYS_PER_TENANT}`;
}

/** A realistic secret (~200 bytes of JSON) that names its key, so that a read of the wrong row is caught. */
export function secretFor(key: string): SecretValue {
  return {
    owner: key,
    apiKey: `sk_live_${Buffer.from(key).toString('hex').padEnd(48, '0').slice(0, 48)}`,
    webhookSecret: 'whsec_0123456789abcdef0123456789abcdef',
    scopes: ['read', 'write'],
    rotatedAt: '2025-01-01T00:00:00.000Z',
  };
}

/** The schema every decrypting contender validates a read with. */
export const secretSchema = z.object({
  owner: z.string(),
  apiKey: z.string(),
  webhookSecret: z.string(),
  scopes: z.array(z.string()),
  rotatedAt: z.string(),
});

export type SecretValue = z.infer<typeof secretSchema>;

export function benchPool(url: string): Pool {
  const pool = new Pool({ connectionString: url, max: POOL_MAX });
  // A client still closing when the scratch database is dropped (WITH FORCE) reports an error: not a failure.
  pool.on('error', () => undefined);
  return pool;
}

/**
 * The AES-GCM envelope the contenders that do not encrypt write: the store's own encryption of one secret, taken
 * once, so that every contender moves the same kind and size of bytes. Its ciphertext is bound to the key
 * it was written under, so the store would refuse it under another key: nothing reads those rows back
 * through the store.
 */
export async function sampleEnvelope(store: SecretStore, pool: Pool): Promise<string> {
  const key = `bench.envelope.${randomBytes(4).toString('hex')}`;
  await store.setSecret(key, secretFor(key));
  const { rows } = await pool.query<{ value: string }>('SELECT value::text AS value FROM secret_store WHERE key = $1', [
    key,
  ]);
  await pool.query('DELETE FROM secret_store WHERE key = $1', [key]);
  return rows[0].value;
}

/**
 * 100,000 rows (tenant.000–099 × 1,000) seeded by generate_series with the sample envelope, then the read
 * tenants rewritten through the store's setSecrets so that they decrypt under their own keys. Resolves the
 * stored envelope text of every read key: what the raw contenders must return.
 */
export async function seed(store: SecretStore, pool: Pool, envelope: string, activeKeyId: string) {
  await pool.query(
    `INSERT INTO secret_store (key, value, encoding, key_id)
     SELECT 'tenant.' || lpad((i / $1)::text, 3, '0') || '.secret.' || (i % $1), $2::text::jsonb, 'aes-256-gcm', $3
     FROM generate_series(0, $4::int - 1) AS i`,
    [KEYS_PER_TENANT, envelope, activeKeyId, TENANTS * KEYS_PER_TENANT],
  );
  const readKeys = Array.from({ length: READ_TENANTS * KEYS_PER_TENANT }, (_, index) => readKey(index));
  await store.setSecrets(readKeys.map((key) => ({ key, value: secretFor(key) })));
  await pool.query('VACUUM ANALYZE secret_store');
  const { rows } = await pool.query<{ key: string; value: string }>(
    'SELECT key, value::text AS value FROM secret_store WHERE key = ANY($1::text[])',
    [readKeys],
  );
  return new Map(rows.map((row) => [row.key, row.value]));
}

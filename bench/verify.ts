import { isDeepStrictEqual } from 'node:util';

import { type Pool } from 'pg';

import { type Contender, type Entry } from './contender';
import { KEYS_PER_TENANT, readKey, secretFor, tenantPrefix, type SecretValue } from './fixture';

/** What a contender must read for `key`: the decrypted secret when it decrypts, the stored envelope otherwise. */
function expectedValue(contender: Contender, key: string, envelopes: Map<string, string>): unknown {
  return contender.decrypts ? secretFor(key) : envelopes.get(key);
}

function assertEntries(
  contender: Contender,
  what: string,
  entries: Entry[],
  keys: string[],
  envelopes: Map<string, string>,
) {
  const wrong = entries.length !== keys.length || entries.some((entry, index) => entry.key !== keys[index]);
  if (wrong)
    throw new Error(`${contender.name} ${what}: expected ${keys.length} rows in key order, got ${entries.length}`);
  for (const entry of entries) {
    if (!isDeepStrictEqual(entry.value, expectedValue(contender, entry.key, envelopes)))
      throw new Error(`${contender.name} ${what}: wrong value for ${entry.key}`);
  }
}

/**
 * Runs every operation of every contender once and checks what it returned and what it wrote, before
 * anything is timed: a contender that is fast because it is wrong fails the run. What a decrypting contender
 * writes must read back, decrypted, through `reader` (the store): the floor writes the store's own envelope.
 */
export async function verifyContenders(
  contenders: Contender[],
  pool: Pool,
  envelopes: Map<string, string>,
  writeValue: SecretValue,
  reader: Contender,
): Promise<void> {
  const prefix = tenantPrefix(3);
  const listed = Array.from({ length: KEYS_PER_TENANT }, (_, n) => `${prefix}${n}`).sort();
  const byKeys = Array.from({ length: 100 }, (_, index) => readKey(index * 97)).sort();
  for (const contender of contenders) {
    const key = readKey(4242);
    assertEntries(
      contender,
      'get',
      [(await contender.get(key)) ?? { key: 'missing', value: undefined }],
      [key],
      envelopes,
    );
    if ((await contender.get('tenant.none')) !== undefined)
      throw new Error(`${contender.name} get: read a missing key`);
    assertEntries(contender, 'listByPrefix', await contender.listByPrefix(prefix), listed, envelopes);
    assertEntries(contender, 'getByKeys', await contender.getByKeys([...byKeys].reverse()), byKeys, envelopes);

    const upsertKey = `bench.${contender.id}.verify`;
    await contender.upsert(upsertKey);
    await contender.upsert(upsertKey);
    const bulkKeys = Array.from({ length: 50 }, (_, n) => `bench.${contender.id}.verify.bulk.${n}`);
    const written = await contender.bulkSet(bulkKeys);
    if (written !== bulkKeys.length) throw new Error(`${contender.name} bulkSet: reported ${written} rows`);
    const { rows } = await pool.query<{ key: string; version: number; kind: string }>(
      `SELECT key, version, jsonb_typeof(value) AS kind FROM secret_store WHERE key = ANY($1::text[])`,
      [[upsertKey, ...bulkKeys]],
    );
    const upserted = rows.find((row) => row.key === upsertKey);
    if (upserted?.version !== 2 || rows.length !== bulkKeys.length + 1 || rows.some((row) => row.kind !== 'object'))
      throw new Error(`${contender.name} writes: expected 51 JSON objects and version 2 after two upserts`);
    if (contender.decrypts) {
      const readBack = await reader.getByKeys([bulkKeys[7], upsertKey].sort());
      if (readBack.length !== 2 || readBack.some((entry) => !isDeepStrictEqual(entry.value, writeValue)))
        throw new Error(`${contender.name} writes: ${reader.name} does not read back the value written`);
    }
  }
}

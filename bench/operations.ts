import { type Contender } from './contender';
import { type SecretStoreContender } from './contenders/secret-store';
import { KEYS_PER_TENANT, READ_TENANTS, readKey, tenantPrefix } from './fixture';

/** The operations measured at concurrency 1 and 32. */
export const POINT_OPERATIONS = ['get', 'listByPrefix', 'getByKeys', 'upsert'] as const;
export type PointOperation = (typeof POINT_OPERATIONS)[number];
/** Measured at concurrency 1 only: `bulkSet` of `bulkSize` keys, and SecretStore's `bulkSize` sequential setSecret. */
export type Operation = PointOperation | 'bulkSet' | 'setSequentially';

const UPSERT_KEYS = 1_000;
export const BY_KEYS = 100;

/** Rows one call of `operation` reads or writes: what per-row costs are divided by. */
export function rowsPerCall(operation: Operation, bulkSize: number): number {
  switch (operation) {
    case 'listByPrefix':
      return KEYS_PER_TENANT;
    case 'getByKeys':
      return BY_KEYS;
    case 'bulkSet':
    case 'setSequentially':
      return bulkSize;
    default:
      return 1;
  }
}

/** One call of `operation`, each call on the next key (or prefix), checked cheaply for the right shape. */
export function operationCall(contender: Contender, operation: Operation, bulkSize: number): () => Promise<void> {
  let call = 0;
  switch (operation) {
    case 'get':
      return async () => {
        const key = readKey(call++ * 7919);
        if ((await contender.get(key))?.key !== key) throw new Error(`${contender.name}: ${key} not found`);
      };
    case 'upsert':
      return () => contender.upsert(`bench.${contender.id}.upsert.${call++ % UPSERT_KEYS}`);
    case 'listByPrefix':
      return async () => {
        const rows = await contender.listByPrefix(tenantPrefix(call++ % READ_TENANTS));
        if (rows.length !== KEYS_PER_TENANT) throw new Error(`${contender.name}: listed ${rows.length} rows`);
      };
    case 'getByKeys':
      return async () => {
        const first = call++ * BY_KEYS;
        const keys = Array.from({ length: BY_KEYS }, (_, index) => readKey(first + index * 13));
        const rows = await contender.getByKeys(keys);
        if (rows.length !== BY_KEYS) throw new Error(`${contender.name}: read ${rows.length} of ${BY_KEYS} keys`);
      };
    case 'bulkSet': {
      const keys = Array.from({ length: bulkSize }, (_, n) => `bench.${contender.id}.bulk.${n}`);
      return async () => {
        const written = await contender.bulkSet(keys);
        if (written !== keys.length) throw new Error(`${contender.name}: wrote ${written} of ${keys.length} rows`);
      };
    }
    case 'setSequentially': {
      const keys = Array.from({ length: bulkSize }, (_, n) => `bench.${contender.id}.sequential.${n}`);
      const sequential = contender as Partial<Pick<SecretStoreContender, 'setSequentially'>>;
      if (!sequential.setSequentially) throw new Error(`${contender.name} has no sequential setSecret`);
      const setSequentially = sequential.setSequentially.bind(contender);
      return async () => {
        await setSequentially(keys);
      };
    }
  }
}

/** Reads every key the get operations read, once, from 32 callers. */
export async function readEveryKey(contender: Contender): Promise<void> {
  let next = 0;
  const caller = async () => {
    while (next < READ_TENANTS * KEYS_PER_TENANT) await contender.get(readKey(next++));
  };
  await Promise.all(Array.from({ length: 32 }, caller));
}

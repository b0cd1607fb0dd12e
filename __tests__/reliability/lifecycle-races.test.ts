import { randomBytes } from 'node:crypto';

import { isSecretStoreError, type AuditTrailRecord, type SecretStore } from '../../src';
import { DEFAULT_MAX_VERSIONS } from '../../src/secretstore/secret-store-options';
import {
  auditedVersions,
  currentWithoutItsVersion,
  keysNotNumberedInOrder,
  versionsWithoutTheirWrite,
} from './support/history-audit';
import { APPLICATION_POOL, useScratchStore } from './support/scratch-store';
import { auditTrailOf, LoadValue } from './support/secret-load';
import { withinDeadline } from './support/watchdog';

const WORKERS = 16;
const OPERATIONS = 60;
const KEY = 'raced';
/** Attempts of one compare-and-set increment before it gives up with the last conflict. */
const COMPARE_AND_SET_ATTEMPTS = 20;
/** What a race may answer, each meaning nothing was written; anything else is a bug. */
const EXPECTED_REFUSALS = ['SECRET_VERSION_CONFLICT', 'SECRET_VERSION_NOT_FOUND'];

type Operation = 'set' | 'compare-and-set' | 'delete' | 'undelete' | 'restore';
const OPERATION_CYCLE: readonly Operation[] = ['set', 'delete', 'compare-and-set', 'undelete', 'restore'];

interface RaceLog {
  /** Each worker's value writes, in the order it made them: the versions they were given. */
  versionsByWorker: number[][];
  /** Successful calls of each operation; deletes and undeletes only when they answered true. */
  succeeded: Record<Operation, number>;
  /** Calls refused with one of EXPECTED_REFUSALS, by code. */
  refused: Map<string, number>;
  /** Anything else a call threw, as "operation: name (code)". */
  unexpected: string[];
}

const scratch = useScratchStore(APPLICATION_POOL);

function countRefusal(log: RaceLog, code: string): void {
  log.refused.set(code, (log.refused.get(code) ?? 0) + 1);
}

/** Reads the key and writes over what it read, trying again after a conflict, as an application would. */
async function compareAndSet(store: SecretStore, value: LoadValue, log: RaceLog): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const current = await store.getSecretWithMetadata(LoadValue, KEY);
    try {
      return (await store.setSecret(KEY, value, { ifVersion: current?.version ?? 0 })).version;
    } catch (error) {
      if (!isSecretStoreError(error) || error.code !== 'SECRET_VERSION_CONFLICT') throw error;
      if (attempt === COMPARE_AND_SET_ATTEMPTS) throw error;
      countRefusal(log, error.code);
    }
  }
}

/** Runs one operation of the cycle on KEY; the version it wrote, true/false for delete and undelete. */
async function runOperation(
  store: SecretStore,
  operation: Operation,
  value: LoadValue,
  log: RaceLog,
): Promise<number | boolean> {
  switch (operation) {
    case 'set':
      return (await store.setSecret(KEY, value)).version;
    case 'compare-and-set':
      return compareAndSet(store, value, log);
    case 'delete':
      return store.deleteSecret(KEY);
    case 'undelete':
      return store.undeleteSecret(KEY);
    case 'restore': {
      // A version pruned since it was listed (or none written yet) is refused: SECRET_VERSION_NOT_FOUND.
      const kept = (await store.listSecretVersions(KEY)).filter(({ destroyed }) => !destroyed);
      const version = kept.length === 0 ? 1 : kept[value.i % kept.length].version;
      return (await store.restoreSecretVersion(KEY, version)).version;
    }
  }
}

/** WORKERS workers, each running OPERATIONS operations of the cycle on one key, from a different place in it. */
async function race(store: SecretStore): Promise<RaceLog> {
  const log: RaceLog = {
    versionsByWorker: Array.from({ length: WORKERS }, () => []),
    succeeded: { set: 0, 'compare-and-set': 0, delete: 0, undelete: 0, restore: 0 },
    refused: new Map(),
    unexpected: [],
  };
  await Promise.all(
    Array.from({ length: WORKERS }, async (_, worker) => {
      for (let i = 0; i < OPERATIONS; i++) {
        const operation = OPERATION_CYCLE[(worker + i) % OPERATION_CYCLE.length];
        const value: LoadValue = { worker, i, nonce: randomBytes(8).toString('hex') };
        try {
          const outcome = await withinDeadline(`${operation}(${KEY})`, runOperation(store, operation, value, log));
          if (typeof outcome === 'number') log.versionsByWorker[worker].push(outcome);
          if (outcome !== false) log.succeeded[operation]++;
        } catch (error) {
          if (isSecretStoreError(error) && EXPECTED_REFUSALS.includes(error.code)) {
            countRefusal(log, error.code);
          } else {
            const name = error instanceof Error ? error.name : typeof error;
            log.unexpected.push(`${operation}: ${name} (${isSecretStoreError(error) ? error.code : 'no code'})`);
          }
        }
      }
    }),
  );
  return log;
}

interface Replayed {
  version: number;
  deleted: boolean;
  /** Records that do not follow from the ones before them, as "seq operation versions". */
  outOfTurn: string[];
}

/**
 * The key's state after its audit records, in trail order: each value write must take the next version, each
 * delete find the secret there, each undelete find it deleted, both at the current version.
 */
function replay(records: readonly AuditTrailRecord[]): Replayed {
  const state: Replayed = { version: 0, deleted: false, outOfTurn: [] };
  for (const { seq, operation, versions } of records) {
    const [version] = versions;
    let inTurn: boolean;
    if (operation === 'set' || operation === 'restore') {
      inTurn = versions.length === 1 && version === state.version + 1;
      state.version = version;
      state.deleted = false;
    } else if (operation === 'delete' || operation === 'undelete') {
      inTurn = version === state.version && state.version > 0 && state.deleted === (operation === 'undelete');
      state.deleted = operation === 'delete';
    } else {
      inTurn = false;
    }
    if (!inTurn) state.outOfTurn.push(`${seq} ${operation} ${versions.join(',')}`);
  }
  return state;
}

test(`${WORKERS} workers racing set, compare-and-set, delete, undelete and restore on one key keep its versions strictly increasing`, async () => {
  const { store, pool } = scratch();
  const log = await race(store);
  const written = log.versionsByWorker.flat().sort((a, b) => a - b);
  console.log(
    `[lifecycle-races] ${WORKERS} workers × ${OPERATIONS} operations: ` +
      Object.entries(log.succeeded)
        .map(([operation, count]) => `${count} ${operation}`)
        .join(', ') +
      `; refused: ${[...log.refused].map(([code, count]) => `${code} ${count}`).join(', ') || 'none'}` +
      `; versions 1 to ${written.at(-1)}`,
  );

  expect(log.unexpected).toEqual([]);
  // Each operation landed, and compare-and-set met a rival, or the race raced nothing.
  for (const count of Object.values(log.succeeded)) expect(count).toBeGreaterThan(0);
  expect(log.refused.get('SECRET_VERSION_CONFLICT')).toBeGreaterThan(0);

  // Every value write got its own version, 1, 2, 3… with none skipped, and later writes of a worker got later ones.
  expect(written).toEqual(Array.from({ length: written.length }, (_, index) => index + 1));
  const backwards = log.versionsByWorker.filter((versions) => versions.some((v, i) => i > 0 && v <= versions[i - 1]));
  expect(backwards).toEqual([]);

  // The trail tells the same story, in its own order, and the key ends where it says.
  const trail = await auditTrailOf(store, KEY);
  const replayed = replay(trail);
  expect(replayed.outOfTurn).toEqual([]);
  expect(trail.filter(({ operation }) => operation === 'delete')).toHaveLength(log.succeeded.delete);
  expect(trail.filter(({ operation }) => operation === 'undelete')).toHaveLength(log.succeeded.undelete);
  expect(replayed.version).toBe(written.length);
  const metadata = await withinDeadline('getSecretMetadata', store.getSecretMetadata(KEY));
  expect({ version: metadata?.version, deleted: metadata?.deletedAt !== null }).toEqual({
    version: replayed.version,
    deleted: replayed.deleted,
  });
  const current = await withinDeadline('getSecret', store.getSecret(LoadValue, KEY));
  const newest = await withinDeadline('getSecretVersion', store.getSecretVersion(LoadValue, KEY, replayed.version));
  expect(newest).toBeDefined();
  expect(current).toEqual(replayed.deleted ? undefined : newest);

  // History: the last maxVersions versions, newest first, each as its write left it.
  const kept = await withinDeadline('listSecretVersions', store.listSecretVersions(KEY));
  expect(kept.map(({ version }) => version)).toEqual(
    Array.from({ length: Math.min(DEFAULT_MAX_VERSIONS, written.length) }, (_, index) => written.length - index),
  );
  expect(await versionsWithoutTheirWrite(pool, KEY)).toEqual([]);
  expect(await currentWithoutItsVersion(pool, KEY)).toEqual([]);
  expect(keysNotNumberedInOrder(await auditedVersions(pool, KEY))).toEqual([]);

  const verification = await withinDeadline('verifyAuditTrail', store.verifyAuditTrail());
  expect(verification.firstProblem).toBeUndefined();
  expect(verification).toMatchObject({ ok: true, checked: trail.length });
});

import { z } from 'zod';

import { SecretVersionConflictError } from '../../src';
import { DEFAULT_MAX_VERSIONS } from '../../src/secretstore/secret-store-options';
import { auditedVersions, keysNotNumberedInOrder, versionsWithoutTheirWrite } from './support/history-audit';
import { APPLICATION_POOL, useScratchStore } from './support/scratch-store';
import { auditTrailOf } from './support/secret-load';
import { sleep, withinDeadline } from './support/watchdog';

const WORKERS = 32;
const INCREMENTS = 100;
const TOTAL = WORKERS * INCREMENTS;
/**
 * Workers begin no attempt past this deadline, and the test then fails saying how far they got. Every increment
 * waits for the one before it to commit, so the load takes minutes where a commit is slow: be generous.
 */
const LOAD_DEADLINE_MS = 240_000;
/** The longest pause after a conflict: a random part of 2^attempt ms, up to this. */
const MAX_BACKOFF_MS = 256;
const KEY = 'counter';
const Counter = z.object({ n: z.number() });

const scratch = useScratchStore(APPLICATION_POOL);

test(
  `${WORKERS} workers × ${INCREMENTS} compare-and-set increments of one counter end at exactly ${TOTAL}, ` +
    'with its last versions kept and every increment in a verified audit trail',
  async () => {
    const { store, pool } = scratch();
    const startedAt = Date.now();
    const deadline = startedAt + LOAD_DEADLINE_MS;
    let landed = 0;
    let conflicts = 0;
    /**
     * Reads the counter and writes it plus one if no one wrote in between (the first increment creates it),
     * else backs off and tries again, as an application would. False if the deadline passed first.
     */
    const increment = async (): Promise<boolean> => {
      for (let attempt = 0; Date.now() < deadline; attempt++) {
        const current = await withinDeadline('read counter', store.getSecretWithMetadata(Counter, KEY));
        try {
          await withinDeadline(
            'increment counter',
            store.setSecret(KEY, { n: (current?.value.n ?? 0) + 1 }, { ifVersion: current?.version ?? 0 }),
          );
          return true;
        } catch (error) {
          if (!(error instanceof SecretVersionConflictError) || error.code !== 'SECRET_VERSION_CONFLICT') throw error;
          conflicts++;
          await sleep(Math.random() * Math.min(MAX_BACKOFF_MS, 2 ** attempt));
        }
      }
      return false;
    };

    await Promise.all(
      Array.from({ length: WORKERS }, async () => {
        for (let i = 0; i < INCREMENTS; i++) if (await increment()) landed++;
      }),
    );
    const loadSeconds = (Date.now() - startedAt) / 1000;
    const final = await withinDeadline('read final counter', store.getSecretWithMetadata(Counter, KEY));
    console.log(
      `[cas-counter] ${WORKERS} workers × ${INCREMENTS} increments: ${landed} landed, n = ${final?.value.n} ` +
        `at version ${final?.version}; ${conflicts} conflicts retried; ${loadSeconds.toFixed(1)} s` +
        (landed < TOTAL ? ', stopped at the deadline' : ''),
    );

    expect(landed).toBe(TOTAL);
    expect(final).toMatchObject({ value: { n: TOTAL }, version: TOTAL });
    // Contention is what the test is about: without conflicts, compare-and-set was never put to work.
    expect(conflicts).toBeGreaterThan(0);

    // History: the last maxVersions versions, each the count it wrote; older ones pruned.
    const kept = await withinDeadline('listSecretVersions', store.listSecretVersions(KEY));
    const lastVersions = Array.from({ length: DEFAULT_MAX_VERSIONS }, (_, index) => TOTAL - index);
    expect(kept.map(({ version, destroyed, deletedAt }) => ({ version, destroyed, deletedAt }))).toEqual(
      lastVersions.map((version) => ({ version, destroyed: false, deletedAt: null })),
    );
    for (const version of lastVersions) {
      expect(await withinDeadline('getSecretVersion', store.getSecretVersion(Counter, KEY, version))).toEqual({
        n: version,
      });
    }
    const rows = await pool.query<{ rows: number }>(
      'SELECT count(*)::int AS rows FROM secret_versions WHERE key = $1',
      [KEY],
    );
    expect(rows.rows).toEqual([{ rows: DEFAULT_MAX_VERSIONS }]);
    expect(await versionsWithoutTheirWrite(pool, KEY)).toEqual([]);

    // The audit trail: one `set` per increment, versions 1 to TOTAL in the order it took them.
    const trail = await auditTrailOf(store, KEY);
    expect(trail.filter(({ operation }) => operation !== 'set')).toEqual([]);
    expect(trail.map(({ versions }) => versions)).toEqual(Array.from({ length: TOTAL }, (_, index) => [index + 1]));
    expect(keysNotNumberedInOrder(await auditedVersions(pool, KEY))).toEqual([]);

    expect(await withinDeadline('verifyAuditTrail', store.verifyAuditTrail())).toMatchObject({
      ok: true,
      checked: TOTAL,
      unsealed: TOTAL,
    });
    const head = await withinDeadline('sealAuditTrail', store.sealAuditTrail());
    expect(head.records).toBe(TOTAL);
    expect(await withinDeadline('verifyAuditTrail(head)', store.verifyAuditTrail({ head }))).toMatchObject({
      ok: true,
      checked: TOTAL,
      unsealed: 0,
      head,
    });
  },
  LOAD_DEADLINE_MS + 60_000,
);

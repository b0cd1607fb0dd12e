import { z } from 'zod';

import { SecretVersionConflictError } from '../../src';
import { APPLICATION_POOL, useScratchStore } from './support/scratch-store';
import { withinDeadline } from './support/watchdog';

const WORKERS = 32;
const INCREMENTS = 100;
/** Workers begin no increment past this deadline, well inside the test's timeout, on any machine. */
const LOAD_DEADLINE_MS = 45_000;
/** Increments that must land, so that a slow machine still checks hundreds of contended ones. */
const MIN_INCREMENTS = (WORKERS * INCREMENTS) / 10;
const KEY = 'counter';
const Counter = z.object({ n: z.number() });

const scratch = useScratchStore(APPLICATION_POOL);

test(`${WORKERS} workers × up to ${INCREMENTS} compare-and-set increments of one counter lose no update`, async () => {
  const { store } = scratch();
  expect(await withinDeadline('create counter', store.setSecret(KEY, { n: 0 }, { ifVersion: 0 }))).toEqual({
    version: 1,
  });

  const startedAt = Date.now();
  const deadline = startedAt + LOAD_DEADLINE_MS;
  let landed = 0;
  let conflicts = 0;
  /** True once the increment has landed; false if the deadline passed first, after a conflict wrote nothing. */
  const increment = async (): Promise<boolean> => {
    for (;;) {
      const current = await withinDeadline('read counter', store.getSecretWithMetadata(Counter, KEY));
      if (current === undefined) throw new Error('the counter disappeared');
      try {
        await withinDeadline(
          'increment counter',
          store.setSecret(KEY, { n: current.value.n + 1 }, { ifVersion: current.version }),
        );
        return true;
      } catch (error) {
        if (!(error instanceof SecretVersionConflictError) || error.code !== 'SECRET_VERSION_CONFLICT') throw error;
        conflicts++;
        if (Date.now() >= deadline) return false;
      }
    }
  };

  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      for (let i = 0; i < INCREMENTS && Date.now() < deadline; i++) if (await increment()) landed++;
    }),
  );
  const final = await withinDeadline('read final counter', store.getSecretWithMetadata(Counter, KEY));
  console.log(
    `[cas-counter] ${WORKERS} workers × up to ${INCREMENTS} increments: ${landed} landed, n = ${final?.value.n} ` +
      `at version ${final?.version}; ${conflicts} conflicts retried; ${((Date.now() - startedAt) / 1000).toFixed(1)} s` +
      (landed < WORKERS * INCREMENTS ? ', stopped at the deadline' : ''),
  );

  expect(final?.value).toEqual({ n: landed });
  expect(final?.version).toBe(landed + 1);
  expect(landed).toBeGreaterThanOrEqual(MIN_INCREMENTS);
  // Contention is what the test is about: without conflicts, compare-and-set was never put to work.
  expect(conflicts).toBeGreaterThan(0);
});

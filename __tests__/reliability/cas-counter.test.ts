import { z } from 'zod';

import { SecretVersionConflictError } from '../../src';
import { APPLICATION_POOL, useScratchStore } from './support/scratch-store';
import { withinDeadline } from './support/watchdog';

const WORKERS = 32;
const INCREMENTS = 100;
const KEY = 'counter';
const Counter = z.object({ n: z.number() });

const scratch = useScratchStore(APPLICATION_POOL);

test(`${WORKERS} workers × ${INCREMENTS} compare-and-set increments of one counter lose no update`, async () => {
  const { store } = scratch();
  expect(await withinDeadline('create counter', store.setSecret(KEY, { n: 0 }, { ifVersion: 0 }))).toEqual({
    version: 1,
  });

  let conflicts = 0;
  const increment = async (): Promise<void> => {
    for (;;) {
      const current = await withinDeadline('read counter', store.getSecretWithMetadata(Counter, KEY));
      if (current === undefined) throw new Error('the counter disappeared');
      try {
        await withinDeadline(
          'increment counter',
          store.setSecret(KEY, { n: current.value.n + 1 }, { ifVersion: current.version }),
        );
        return;
      } catch (error) {
        if (!(error instanceof SecretVersionConflictError) || error.code !== 'SECRET_VERSION_CONFLICT') throw error;
        conflicts++;
      }
    }
  };

  const startedAt = Date.now();
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      for (let i = 0; i < INCREMENTS; i++) await increment();
    }),
  );
  const final = await withinDeadline('read final counter', store.getSecretWithMetadata(Counter, KEY));
  console.log(
    `[cas-counter] ${WORKERS} workers × ${INCREMENTS} increments: n = ${final?.value.n} at version ${final?.version}; ` +
      `${conflicts} conflicts retried; ${((Date.now() - startedAt) / 1000).toFixed(1)} s`,
  );

  expect(final?.value).toEqual({ n: WORKERS * INCREMENTS });
  expect(final?.version).toBe(WORKERS * INCREMENTS + 1);
});

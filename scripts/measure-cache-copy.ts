/**
 * What a cache hit costs for each way of keeping callers from changing a cached value: handing out a value
 * frozen once when it was stored, or a copy made per hit (structuredClone, or JSON.parse of the kept text).
 * One process, a typical OAuth token object. `npx tsx scripts/measure-cache-copy.ts`
 */
import { deepFreeze } from '../src/secretstore/secret-cache';

const value = {
  accessToken: 'x'.repeat(40),
  refreshToken: 'y'.repeat(40),
  expiresAt: 1767225600,
  scopes: ['read', 'write', 'admin'],
  meta: { provider: 'github', account: 12345 },
};
const json = JSON.stringify(value);
const ROUNDS = 1_000_000;

function nanosPerCall(work: () => unknown): number {
  for (let index = 0; index < 100_000; index++) work();
  const started = process.hrtime.bigint();
  let kept: unknown;
  for (let index = 0; index < ROUNDS; index++) kept = work();
  const elapsed = Number(process.hrtime.bigint() - started) / ROUNDS;
  if (kept === undefined) throw new Error('nothing was made');
  return elapsed;
}

const frozen = deepFreeze(JSON.parse(json) as unknown);
const rows: [string, () => unknown][] = [
  ['frozen once, handed out as it is (per hit)', () => frozen],
  ['structuredClone (per hit)', () => structuredClone(value)],
  ['JSON.parse of the kept text (per hit)', () => JSON.parse(json) as unknown],
  ['JSON.parse + deepFreeze (once, when stored)', () => deepFreeze(JSON.parse(json) as unknown)],
];
for (const [name, work] of rows) console.log(`${name.padEnd(46)} ${nanosPerCall(work).toFixed(1).padStart(8)} ns`);

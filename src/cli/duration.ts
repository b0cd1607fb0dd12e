import { InvalidArgumentError } from 'commander';

/** The units a duration is written in, longest first: what formatDuration prefers. */
const UNIT_MILLIS = [
  ['w', 7 * 24 * 60 * 60 * 1000],
  ['d', 24 * 60 * 60 * 1000],
  ['h', 60 * 60 * 1000],
  ['m', 60 * 1000],
  ['s', 1000],
] as const;

const DURATION = /^(\d{1,15})([wdhms])$/;

/**
 * A duration as the command line writes it, one number and one unit (`30d`, `12h`, `15m`, `90s`, `2w`), in
 * milliseconds. Anything else, `1d12h` or `1.5h` included, is refused: a window is easier to read than to guess.
 */
export function parseDuration(text: string): number {
  const match = DURATION.exec(text);
  if (match === null) {
    throw new InvalidArgumentError('expected a duration: a whole number and one of w, d, h, m, s (30d, 12h, 2w)');
  }
  const unit = UNIT_MILLIS.find(([name]) => name === match[2]) as (typeof UNIT_MILLIS)[number];
  const millis = Number(match[1]) * unit[1];
  if (!Number.isSafeInteger(millis)) throw new InvalidArgumentError('expected a shorter duration');
  return millis;
}

/** Milliseconds in the longest unit that holds them exactly, as parseDuration reads them back: `14d`, `90s`. */
export function formatDuration(millis: number): string {
  if (millis === 0) return '0s';
  const [unit, size] = UNIT_MILLIS.find(([, size]) => millis % size === 0) ?? ['ms', 1];
  return `${millis / size}${unit}`;
}

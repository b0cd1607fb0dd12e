import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { format, resolveConfig } from 'prettier';

export interface Measurement {
  operation: string;
  concurrency: number;
  contender: string;
  p50Ms: number;
  p99Ms: number;
  /** Completed calls per second of wall time (all callers together). */
  opsPerSec: number;
  samples: number;
}

export interface Ratios {
  /** Each as a ratio to raw pg (unnamed) in the same operation and concurrency: p50×/p99× lower is better, ops× higher. */
  p50: number;
  p99: number;
  ops: number;
}

export interface Target {
  name: string;
  met: boolean;
  detail: string;
}

export const BASELINE = 'pg';

export function ratiosOf(measurement: Measurement, all: Measurement[]): Ratios | undefined {
  const baseline = all.find(
    (other) =>
      other.contender === BASELINE &&
      other.operation === measurement.operation &&
      other.concurrency === measurement.concurrency,
  );
  if (!baseline) return undefined;
  return {
    p50: measurement.p50Ms / baseline.p50Ms,
    p99: measurement.p99Ms / baseline.p99Ms,
    ops: measurement.opsPerSec / baseline.opsPerSec,
  };
}

function formatNumber(value: number, digits: number): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** An aligned text table: numbers right-aligned, names left-aligned. */
export function formatTable(measurements: Measurement[]): string {
  const header = ['operation', 'c', 'contender', 'p50 ms', 'p99 ms', 'ops/s', 'p50×pg', 'p99×pg', 'ops×pg'];
  const rows = measurements.map((m) => {
    const ratios = ratiosOf(m, measurements);
    const ratio = (value: number | undefined) => (value === undefined ? '-' : `${formatNumber(value, 2)}×`);
    return [
      m.operation,
      String(m.concurrency),
      m.contender,
      formatNumber(m.p50Ms, 3),
      formatNumber(m.p99Ms, 3),
      formatNumber(m.opsPerSec, 0),
      ratio(ratios?.p50),
      ratio(ratios?.p99),
      ratio(ratios?.ops),
    ];
  });
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) =>
    cells.map((cell, column) => (column < 3 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ');
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

export function formatTargets(targets: Target[]): string {
  return targets.map((target) => `${target.met ? 'met    ' : 'NOT MET'}  ${target.name}: ${target.detail}`).join('\n');
}

/** Writes bench/results/<timestamp>.json and bench/results/latest.json; resolves the timestamped path. */
export async function writeResults(directory: string, report: object): Promise<string> {
  await mkdir(directory, { recursive: true });
  const path = join(directory, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  // Formatted as the repository's prettier would, so that `prettier --check bench` stays clean.
  const json = await format(JSON.stringify(report), { ...(await resolveConfig(path)), parser: 'json' });
  await writeFile(path, json);
  await writeFile(join(directory, 'latest.json'), json);
  return path;
}

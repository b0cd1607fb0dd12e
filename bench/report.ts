import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { format, resolveConfig } from 'prettier';

/** What a contender's process measured, on its own heap and its own CPU time. */
export interface ProcessMeasurement {
  p50Ms: number;
  p99Ms: number;
  /** Completed calls per second of wall time (all callers together). */
  opsPerSec: number;
  samples: number;
  /** User + system CPU time of the whole process (driver, decoding, collector threads) per call, in µs. */
  cpuUsPerCall: number;
  /** Time of the collections the process reported (perf_hooks 'gc' entries) per call, in ms. */
  gcMsPerCall: number;
  /**
   * Calls per second when no call is timed on its own (see MeasureCommand.untimedMs): measured only where the
   * harness would weigh (reads served from memory).
   */
  untimedOpsPerSec?: number;
}

export interface Measurement extends ProcessMeasurement {
  operation: string;
  concurrency: number;
  contender: string;
  /** Rows one call reads or writes. */
  rowsPerCall: number;
}

export interface Ratios {
  /** Each as a ratio to a baseline in the same operation and concurrency: p50×/p99× lower is better, ops× higher. */
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
/** Raw pg + the same decryption + JSON.parse + zod: what an encrypted store cannot beat. */
export const FLOOR = 'floor';

export function ratiosOf(measurement: Measurement, all: Measurement[], to = BASELINE): Ratios | undefined {
  const baseline = all.find(
    (other) =>
      other.contender === to &&
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
  const header = [
    'operation',
    'c',
    'contender',
    'p50 ms',
    'p99 ms',
    'ops/s',
    'p50×pg',
    'p99×pg',
    'ops×pg',
    'p50×floor',
    'ops×floor',
    'CPU µs/call',
    'GC ms/call',
  ];
  const ratio = (value: number | undefined) => (value === undefined ? '-' : `${formatNumber(value, 2)}×`);
  const rows = measurements.map((m) => {
    const toPg = ratiosOf(m, measurements);
    const toFloor = ratiosOf(m, measurements, FLOOR);
    return [
      m.operation,
      String(m.concurrency),
      m.contender,
      formatNumber(m.p50Ms, 3),
      formatNumber(m.p99Ms, 3),
      formatNumber(m.opsPerSec, 0),
      ratio(toPg?.p50),
      ratio(toPg?.p99),
      ratio(toPg?.ops),
      ratio(toFloor?.p50),
      ratio(toFloor?.ops),
      formatNumber(m.cpuUsPerCall, 1),
      formatNumber(m.gcMsPerCall, 3),
    ];
  });
  return alignedRows(header, rows);
}

/** Client CPU per row and GC per call of the reads that return many rows, each contender in its own process. */
export function formatPerRowTable(measurements: Measurement[]): string {
  const header = ['operation', 'c', 'contender', 'rows/call', 'CPU µs/row', 'GC ms/call', 'GC ms/1,000 rows'];
  const rows = measurements
    .filter((m) => m.operation === 'listByPrefix' || m.operation === 'getByKeys')
    .map((m) => [
      m.operation,
      String(m.concurrency),
      m.contender,
      formatNumber(m.rowsPerCall, 0),
      formatNumber(m.cpuUsPerCall / m.rowsPerCall, 2),
      formatNumber(m.gcMsPerCall, 3),
      formatNumber((m.gcMsPerCall * 1000) / m.rowsPerCall, 3),
    ]);
  return alignedRows(header, rows);
}

/** An aligned text table: the first three columns (names) left-aligned, numbers right-aligned. */
function alignedRows(header: string[], rows: string[][]): string {
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

/**
 * What one `secretstore get` costs on the embedded database: on a cold data folder (the CLI opens PGlite
 * itself) and on a folder another process holds (the CLI goes through the holder's socket). Wall time and
 * peak RSS of each CLI process, several runs each, medians reported:
 *
 *   npx tsx bench/embedded-cli.ts [--runs 5] [--source]
 *
 * By default the CLI is built first (as `npx secretstore` runs it) into node_modules/.cache; `--source`
 * runs it from the TypeScript sources through tsx instead, as the tests do.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

import { build } from 'tsup';

import { alignedTable, median } from './summary';

const REPO_ROOT = path.resolve(__dirname, '..');
// Inside the repository, so that the built CLI finds the package's migrations folder above it.
const BUILD_DIR = path.join(REPO_ROOT, 'node_modules', '.cache', 'secretstore-bench-embedded-cli');

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  const value = at === -1 ? fallback : Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

const runs = option('--runs', 5);
const fromSource = process.argv.includes('--source');

/** The environment of a bare machine: no server, no keyring chosen. */
const env = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/^(DATABASE_URL|PG[A-Z]*|SECRETSTORE_.*|NODE_OPTIONS)$/.test(name)),
);

interface Program {
  /** node arguments that run the CLI. */
  cli: string[];
  /** node arguments that run the holder, a process that opens a store and keeps it until stdin ends. */
  holder: string[];
}

async function program(workDir: string): Promise<Program> {
  const holderScript = (index: string) =>
    `const { createSecretStore } = require(${JSON.stringify(index)});` +
    'createSecretStore({ dataDir: process.env.BENCH_DATA_DIR, logger: {} }).then((store) => {' +
    "  process.stdout.write('ready\\n');" +
    "  process.stdin.on('end', () => void store.close()).resume();" +
    '});';
  if (fromSource) {
    const index = path.join(REPO_ROOT, 'src', 'index.ts');
    return {
      cli: ['--import', 'tsx', path.join(REPO_ROOT, 'src', 'cli', 'main.ts')],
      holder: ['--import', 'tsx', '--eval', holderScript(index)],
    };
  }
  await build({
    entry: { index: 'src/index.ts', 'cli/main': 'src/cli/main.ts' },
    format: ['cjs'],
    platform: 'node',
    target: 'node20',
    outDir: BUILD_DIR,
    clean: true,
    splitting: false,
    silent: true,
    config: false,
  });
  const holderFile = path.join(workDir, 'holder.cjs');
  await writeFile(holderFile, holderScript(path.join(BUILD_DIR, 'index.js')));
  return { cli: [path.join(BUILD_DIR, 'cli', 'main.js')], holder: [holderFile] };
}

interface Run {
  wallMs: number;
  peakRssMb: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs node with `args`; its peak RSS is written by a preloaded hook to a file of its own as it exits. */
async function measure(args: string[], reporter: string, workDir: string, index: number): Promise<Run> {
  const usageFile = path.join(workDir, `usage-${index}.json`);
  const started = performance.now();
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (resolve, reject) => {
      const child = spawn(process.execPath, ['--require', reporter, ...args], {
        env: { ...env, BENCH_USAGE_FILE: usageFile },
        cwd: REPO_ROOT,
      });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
      child.on('error', reject);
      child.on('close', (exitCode) => resolve({ code: exitCode, stdout: out, stderr: err }));
      child.stdin.end();
    },
  );
  const wallMs = performance.now() - started;
  const { maxRSS } = JSON.parse(await readFile(usageFile, 'utf8')) as { maxRSS: number };
  return { wallMs, peakRssMb: maxRSS / 1024, code, stdout, stderr };
}

interface Summary {
  scenario: string;
  wallMs: number[];
  peakRssMb: number[];
}

async function startHolder(program: Program, dataDir: string): Promise<() => Promise<void>> {
  const child = spawn(process.execPath, program.holder, { env: { ...env, BENCH_DATA_DIR: dataDir }, cwd: REPO_ROOT });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  await new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => chunk.includes('ready') && resolve());
    void exited.then((code) => reject(new Error(`the holder exited (${code}): ${stderr}`)));
  });
  return async () => {
    child.stdin.end();
    await exited;
  };
}

async function main(): Promise<void> {
  const workDir = await mkdtemp(path.join(tmpdir(), 'secretstore-bench-cli-'));
  try {
    const reporter = path.join(workDir, 'report-usage.cjs');
    await writeFile(
      reporter,
      "process.on('exit', () => require('node:fs').writeFileSync(process.env.BENCH_USAGE_FILE, " +
        'JSON.stringify(process.resourceUsage())));',
    );
    const cli = await program(workDir);
    const dataDir = path.join(workDir, 'data');
    const get = [...cli.cli, '--data-dir', dataDir, 'get', 'bench.key'];

    let index = 0;
    const runOnce = async (args: string[]): Promise<Run> => {
      const run = await measure(args, reporter, workDir, index++);
      if (run.code !== 0) throw new Error(`the CLI failed (${run.code}): ${run.stderr}`);
      return run;
    };
    // Creates the folder, its key and the database; also brings node and PGlite's files into the page cache.
    await runOnce([...cli.cli, '--data-dir', dataDir, 'set', 'bench.key', '{"n":1}']);
    await runOnce(get);

    const summaries: Summary[] = [];
    const measureGets = async (scenario: string) => {
      const measured: Run[] = [];
      for (let i = 0; i < runs; i += 1) measured.push(await runOnce(get));
      if (measured.some((run) => (JSON.parse(run.stdout) as { n?: unknown }).n !== 1)) {
        throw new Error(`${scenario}: the CLI printed a wrong value`);
      }
      summaries.push({
        scenario,
        wallMs: measured.map((run) => run.wallMs),
        peakRssMb: measured.map((run) => run.peakRssMb),
      });
    };

    await measureGets('cold folder (the CLI opens PGlite)');
    const stopHolder = await startHolder(cli, dataDir);
    try {
      await runOnce(get);
      await measureGets('held folder (through the holder’s socket)');
    } finally {
      await stopHolder();
    }

    const rows = summaries.map((summary) => [
      summary.scenario,
      median(summary.wallMs).toFixed(0),
      `${Math.min(...summary.wallMs).toFixed(0)}–${Math.max(...summary.wallMs).toFixed(0)}`,
      median(summary.peakRssMb).toFixed(0),
      `${Math.min(...summary.peakRssMb).toFixed(0)}–${Math.max(...summary.peakRssMb).toFixed(0)}`,
    ]);
    const header = ['secretstore get', 'wall ms (median)', 'range', 'peak RSS MB (median)', 'range'];
    process.stdout.write(
      `CLI ${fromSource ? 'from source (tsx)' : 'built (as npx secretstore runs it)'}, ${runs} runs each, ` +
        `node ${process.version}, ${process.platform}\n`,
    );
    process.stdout.write(`${alignedTable(header, rows)}\n`);
    const [cold, held] = summaries;
    process.stdout.write(
      `held / cold: wall ×${(median(held.wallMs) / median(cold.wallMs)).toFixed(2)}, ` +
        `peak RSS ×${(median(held.peakRssMb) / median(cold.peakRssMb)).toFixed(2)}\n`,
    );
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});

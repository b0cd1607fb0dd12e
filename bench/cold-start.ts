/**
 * Cold start of an application in server mode: a fresh node process, from just before its first import to
 * its first `getSecret` resolved (the package imported, `createSecretStore({ db: url, encryption })`, one
 * read of an encrypted secret), against the same process importing `pg` alone. Each contender runs in its
 * own process, the runs interleaved; medians reported.
 *
 *   npm run build && npx tsx bench/cold-start.ts [--runs 15] [--compare <another checkout, built>]
 *
 * `--compare` adds the build in `<dir>/dist` (e.g. an earlier commit, `git archive` into a folder with this
 * repository's node_modules linked in) as one more contender. DATABASE_URL names the server (default the
 * local one); the bench works in a scratch database there, migrated, and drops it afterwards.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { Pool } from 'pg';

import { createScratchDatabase } from '../scripts/scratch-database';
import { createSecretStore, generateEncryptionKey, migrate, parseEncryptionKeys } from '../dist/index.js';
import { alignedTable, median } from './summary';

const REPO_ROOT = path.resolve(__dirname, '..');
const SECRET_KEY = 'bench.cold-start';

function option(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at === -1 ? undefined : process.argv[at + 1];
}

const runs = Number(option('--runs') ?? 15);
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');

interface Contender {
  name: string;
  /** An ES module run with `node --input-type=module`; it prints what it measured as JSON. */
  script: string;
}

/** Prints the milliseconds since `start` and since the process began (performance.now()'s origin). */
const report =
  'console.log(JSON.stringify({ fromImport: performance.now() - start, fromProcessStart: performance.now() }));';

function pgAlone(): Contender {
  return { name: "import('pg') alone", script: `const start = performance.now(); await import('pg'); ${report}` };
}

function packageColdStart(name: string, distDir: string): Contender {
  const entry = pathToFileURL(path.join(distDir, 'index.mjs')).href;
  if (!existsSync(new URL(entry))) throw new Error(`${entry} does not exist: build it first (npm run build)`);
  return {
    name,
    script: [
      'const start = performance.now();',
      `const { anyJson, createSecretStore, parseEncryptionKeys } = await import(${JSON.stringify(entry)});`,
      'const encryption = parseEncryptionKeys(process.env.BENCH_ENCRYPTION_KEYS);',
      'const store = await createSecretStore({ db: process.env.BENCH_DATABASE_URL, encryption });',
      `const value = await store.getSecret(anyJson, ${JSON.stringify(SECRET_KEY)});`,
      report,
      "if (value?.ok !== true) throw new Error('the secret did not read back');",
      'await store.close();',
    ].join('\n'),
  };
}

interface Sample {
  fromImport: number;
  fromProcessStart: number;
}

function runOnce(contender: Contender, env: NodeJS.ProcessEnv): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '--eval', contender.script], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${contender.name} exited with ${code}: ${stderr.trim()}`));
      else resolve(JSON.parse(stdout.trim().split('\n')[0]) as Sample);
    });
  });
}

async function main(): Promise<void> {
  const contenders = [pgAlone(), packageColdStart('this build', path.join(REPO_ROOT, 'dist'))];
  const compare = option('--compare');
  if (compare) contenders.push(packageColdStart(`--compare ${compare}`, path.resolve(compare, 'dist')));

  const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const scratch = await createScratchDatabase(serverUrl, 'secretstore_cold_start');
  try {
    const keys = `k1:${generateEncryptionKey()}`;
    const pool = new Pool({ connectionString: scratch.url, max: 1 });
    try {
      await migrate(pool);
      const store = await createSecretStore({ db: pool, encryption: parseEncryptionKeys(keys) });
      await store.setSecret(SECRET_KEY, { ok: true });
      await store.close();
    } finally {
      await pool.end();
    }

    // Only what the child needs: no NODE_OPTIONS (a loader would be timed too), no PG* defaults.
    const env = {
      PATH: process.env.PATH,
      BENCH_DATABASE_URL: scratch.url,
      BENCH_ENCRYPTION_KEYS: keys,
    };
    // One unmeasured run of each, so that every contender reads its files from a warm page cache.
    for (const contender of contenders) await runOnce(contender, env);

    const samples: Sample[][] = contenders.map(() => []);
    for (let run = 0; run < runs; run++) {
      // Each round starts with another contender.
      for (let i = 0; i < contenders.length; i++) {
        const index = (run + i) % contenders.length;
        samples[index].push(await runOnce(contenders[index], env));
      }
    }

    const fromImport = samples.map((measured) => measured.map((sample) => sample.fromImport));
    const baseline = median(fromImport[0]);
    const rows = contenders.map(({ name }, index) => [
      name,
      median(fromImport[index]).toFixed(1),
      `${Math.min(...fromImport[index]).toFixed(0)}–${Math.max(...fromImport[index]).toFixed(0)}`,
      median(samples[index].map((sample) => sample.fromProcessStart)).toFixed(1),
      `×${(median(fromImport[index]) / baseline).toFixed(2)}`,
    ]);
    const header = ['contender', 'first import → done, ms (median)', 'range', 'process start → done', "× import('pg')"];
    process.stdout.write(
      `cold start in server mode, ${runs} runs each, interleaved, node ${process.version}, ${process.platform}; ` +
        'done = the first getSecret resolved (pg alone: its import resolved)\n',
    );
    process.stdout.write(`${alignedTable(header, rows)}\n`);
  } finally {
    await scratch.drop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});

/**
 * npm run codegen: migrate a scratch database, run pgtyped against it, and fail when any query does not
 * compile. pgtyped itself exits 0 on query errors, so its output is checked here. Then reduce every query
 * pgtyped wrote to the statement the repository runs (see generate-statements.ts): nothing is reduced at
 * run time, and applications never load @pgtyped/runtime.
 *
 * With DATABASE_URL: a scratch database on that server, dropped afterwards.
 * Without: an in-memory PGlite served on an ephemeral loopback port, shut down afterwards.
 */
import { spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { Pool } from 'pg';

import { SERVER_VARIABLES } from '../src/database/config';
import { migrate } from '../src/database/migrate';
import { generateStatements } from './generate-statements';
import { createScratchDatabase } from './scratch-database';

const ROOT = path.resolve(__dirname, '..');
const PGTYPED_CLI = path.join(ROOT, 'node_modules', '@pgtyped', 'cli', 'lib', 'index.js');
const GENERATED = path.join(ROOT, 'src', 'generated');
const FAILURE_MARKERS = [/Error in query/, /Parse error/, /Error processing/, /is invalid/, /Failed to parse config/];

// Variables that pgtyped would prefer over --uri (PGURI is its own); the child gets a clean connection environment.
const CONNECTION_VARIABLES = [...SERVER_VARIABLES, 'PGURI'];

function runPgtyped(uri: string): Promise<void> {
  const env = { ...process.env };
  for (const name of CONNECTION_VARIABLES) delete env[name];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PGTYPED_CLI, '--config', 'pgtyped.config.json', '--uri', uri], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (target: NodeJS.WriteStream) => (chunk: Buffer) => {
      output += chunk.toString();
      target.write(chunk);
    };
    child.stdout.on('data', collect(process.stdout));
    child.stderr.on('data', collect(process.stderr));
    child.on('error', reject);
    child.on('close', (code) => {
      const marker = FAILURE_MARKERS.find((pattern) => pattern.test(output));
      if (code !== 0) reject(new Error(`pgtyped exited with code ${code}`));
      else if (marker) reject(new Error(`pgtyped reported an error (${marker.source}); see its output above`));
      else resolve();
    });
  });
}

async function codegenOnServer(serverUrl: string): Promise<void> {
  const scratch = await createScratchDatabase(serverUrl, 'secretstore_codegen');
  try {
    const pool = new Pool({ connectionString: scratch.url, max: 1 });
    try {
      await migrate(pool);
    } finally {
      await pool.end();
    }
    await runPgtyped(scratch.url);
  } finally {
    await scratch.drop();
  }
}

async function codegenOnPGlite(): Promise<void> {
  const db = await PGlite.create();
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 8 });
  try {
    await migrate(db);
    await server.start();
    await runPgtyped(`postgres://postgres@${server.getServerConn()}/postgres?sslmode=disable`);
  } finally {
    await server.stop();
    await db.close();
  }
}

/** Writes `<name>.statements.ts` beside each `<name>.queries.ts` that pgtyped wrote. */
async function writeStatements(): Promise<void> {
  const queryFiles = (await readdir(GENERATED)).filter((file) => file.endsWith('.queries.ts')).sort();
  for (const queryFile of queryFiles) {
    const statements = generateStatements(await readFile(path.join(GENERATED, queryFile), 'utf8'), queryFile);
    const statementsFile = queryFile.replace(/\.queries\.ts$/, '.statements.ts');
    await writeFile(path.join(GENERATED, statementsFile), statements);
    console.log(`codegen: src/generated/${statementsFile}`);
  }
}

async function main(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL;
  if (serverUrl) {
    console.log('codegen: against a scratch database on the DATABASE_URL server');
    await codegenOnServer(serverUrl);
  } else {
    console.log('codegen: DATABASE_URL is not set, against embedded PGlite');
    await codegenOnPGlite();
  }
  await writeStatements();
  console.log('codegen: done');
}

main().catch((error: unknown) => {
  console.error(`codegen failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

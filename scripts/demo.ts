/**
 * npm run demo: the plan's workflow end to end. Migrates, loads testdata/secrets.json, reads each secret
 * back through a zod schema, lists by prefix, updates one, deletes one, and prints what happened.
 * Against DATABASE_URL when set; otherwise on an in-memory embedded PGlite.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { PGlite } from '@electric-sql/pglite';
import { z } from 'zod';

import {
  createSecretStore,
  generateEncryptionKey,
  type KeyringOptions,
  parseEncryptionKeys,
  migrate,
  type SecretSchema,
  type SecretStore,
} from '../src';
import { describeDatabaseConfig, readDatabaseConfig } from '../src/database/config';
import { createPool } from '../src/database/pool';

const schemas = {
  'oauth.github': z.object({ client_id: z.string(), client_secret: z.string(), scopes: z.array(z.string()) }),
  'database.postgres': z.object({ host: z.string(), port: z.number().int(), user: z.string(), password: z.string() }),
  'api.external': z.object({ base_url: z.url(), api_key: z.string(), timeout_ms: z.number() }),
} as const;

const AnySecret = z.record(z.string(), z.unknown());

interface Step {
  step: string;
  key: string;
  result: string;
}

function printTable(rows: Step[]): void {
  const headers: Step = { step: 'step', key: 'key', result: 'result' };
  const columns = Object.keys(headers) as (keyof Step)[];
  const widths = columns.map((column) => Math.max(...[headers, ...rows].map((row) => row[column].length)));
  const line = (row: Step) =>
    columns
      .map((column, i) => row[column].padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  console.log(line(headers));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const row of rows) console.log(line(row));
}

/** Never print secret values: show which fields a secret has, not what they hold. */
function shape(value: Record<string, unknown>): string {
  return `{ ${Object.keys(value).join(', ')} }`;
}

async function runWorkflow(store: SecretStore): Promise<Step[]> {
  const steps: Step[] = [];
  const file = path.join(__dirname, '..', 'testdata', 'secrets.json');
  const secrets = JSON.parse(await readFile(file, 'utf8')) as Record<string, Record<string, unknown>>;

  for (const [key, value] of Object.entries(secrets)) {
    await store.setSecret(key, value);
    steps.push({ step: 'load', key, result: `stored ${shape(value)}` });
  }
  const readers: [string, SecretSchema<Record<string, unknown>>][] = Object.entries(schemas);
  for (const [key, schema] of readers) {
    const value = await store.getSecretOrThrow(schema, key);
    steps.push({ step: 'read', key, result: `valid against its schema: ${shape(value)}` });
  }
  const listed = await store.getSecrets(AnySecret, 'oauth.');
  steps.push({ step: 'list', key: 'oauth.*', result: listed.map((entry) => entry.key).join(', ') || '(none)' });

  const github = await store.getSecretOrThrow(schemas['oauth.github'], 'oauth.github');
  await store.setSecret('oauth.github', { ...github, scopes: [...github.scopes, 'workflow'] });
  const updated = await store.getSecretOrThrow(schemas['oauth.github'], 'oauth.github');
  steps.push({ step: 'update', key: 'oauth.github', result: `scopes now ${updated.scopes.join(', ')}` });

  const deleted = await store.deleteSecret('api.external');
  const after = await store.getSecret(schemas['api.external'], 'api.external');
  steps.push({
    step: 'delete',
    key: 'api.external',
    result: `deleted=${deleted}, read back: ${after === undefined ? 'undefined' : 'still there'}`,
  });

  const versions = await store.listSecretVersions('oauth.github');
  steps.push({
    step: 'history',
    key: 'oauth.github',
    result: `versions ${versions.map(({ version }) => version).join(', ')} (newest first)`,
  });
  const undeleted = await store.undeleteSecret('api.external');
  const back = await store.getSecret(schemas['api.external'], 'api.external');
  steps.push({
    step: 'undelete',
    key: 'api.external',
    result: `undeleted=${undeleted}, read back: ${back === undefined ? 'undefined' : 'there again'}`,
  });
  return steps;
}

/** SECRETSTORE_ENCRYPTION_KEYS when set; otherwise a throwaway key that lives as long as this process. */
function demoEncryption(): KeyringOptions {
  const spec = process.env.SECRETSTORE_ENCRYPTION_KEYS;
  if (spec) return parseEncryptionKeys(spec);
  console.log('demo: SECRETSTORE_ENCRYPTION_KEYS is not set, encrypting with a throwaway key');
  return parseEncryptionKeys(`demo:${generateEncryptionKey()}`);
}

async function main(): Promise<void> {
  const config = readDatabaseConfig(process.env);
  const encryption = demoEncryption();
  if (config) {
    console.log(`demo: PostgreSQL at ${describeDatabaseConfig(config)} (DATABASE_URL)\n`);
    const pool = createPool(config);
    try {
      await migrate(pool);
      const store = await createSecretStore({ db: pool, encryption });
      printTable(await runWorkflow(store));
    } finally {
      await pool.end();
    }
    return;
  }
  console.log('demo: DATABASE_URL is not set, using an in-memory embedded PGlite\n');
  const pglite = await PGlite.create();
  try {
    const store = await createSecretStore({ db: pglite, migrate: true, encryption });
    printTable(await runWorkflow(store));
  } finally {
    await pglite.close();
  }
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

import { anyJson } from '../../secretstore/schema';
import type { SecretStore } from '../../secretstore/secret-store';
import type { CommandContext } from '../command-context';
import { jsonEqual } from '../json-equal';
import { parseJson, readTextFile } from '../json-input';
import { formatTable, type CommandResult } from '../output';
import { CliUsageError } from '../usage-error';

export interface ImportOptions {
  dryRun?: boolean;
}

type ImportAction = 'created' | 'updated' | 'unchanged';

interface ImportJson {
  dryRun: boolean;
  /** In the file's order. With --dry-run, what an import would do. */
  secrets: { key: string; action: ImportAction }[];
  created: number;
  updated: number;
  unchanged: number;
}

interface PlannedWrite {
  key: string;
  value: unknown;
  action: ImportAction;
}

async function readImportFile(file: string): Promise<[string, unknown][]> {
  const parsed = parseJson(await readTextFile(file), file);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CliUsageError('INVALID_IMPORT_FILE', `${file} must hold one JSON object of key → value`);
  }
  return Object.entries(parsed);
}

/** Compares each entry with what is stored: new keys are created, changed values updated, equal ones left alone. */
async function planImport(store: SecretStore, entries: [string, unknown][]): Promise<PlannedWrite[]> {
  const stored = await store.getSecretsByKeys(
    anyJson,
    entries.map(([key]) => key),
  );
  const current = new Map(stored.map((entry) => [entry.key, entry.value]));
  return entries.map(([key, value]) => ({
    key,
    value,
    action: !current.has(key) ? 'created' : jsonEqual(current.get(key), value) ? 'unchanged' : 'updated',
  }));
}

/** What a write would refuse, found without writing: the store's own checks. */
function assertStorable(store: SecretStore, plan: readonly PlannedWrite[]): void {
  for (const { key, value } of plan) store.validateSecret(key, value);
}

/**
 * Imports an object of key → value in one transaction: all of it, or (on any error) none of it. Values equal
 * to the stored ones are not rewritten. --dry-run only reads, and reports what an import would do.
 */
export async function importCommand(
  context: CommandContext,
  file: string,
  options: ImportOptions,
): Promise<CommandResult> {
  const entries = await readImportFile(file);
  const dryRun = options.dryRun === true;
  const plan = await context.database.withStore(async (store) => {
    if (dryRun) {
      const planned = await planImport(store, entries);
      assertStorable(store, planned);
      return planned;
    }
    return store.transaction(async (tx) => {
      const planned = await planImport(tx, entries);
      for (const { key, value, action } of planned) {
        // The store refuses anything but an object or array; its error rolls the whole import back.
        if (action !== 'unchanged') await tx.setSecret(key, value as object);
      }
      return planned;
    });
  });

  const count = (action: ImportAction): number => plan.filter((item) => item.action === action).length;
  const json: ImportJson = {
    dryRun,
    secrets: plan.map(({ key, action }) => ({ key, action })),
    created: count('created'),
    updated: count('updated'),
    unchanged: count('unchanged'),
  };
  const summary = dryRun
    ? `dry run, nothing written: would create ${json.created}, update ${json.updated}, leave ${json.unchanged} unchanged`
    : `imported in one transaction: created ${json.created}, updated ${json.updated}, unchanged ${json.unchanged}`;
  const table =
    plan.length > 0
      ? `${formatTable(
          ['KEY', dryRun ? 'WOULD BE' : 'ACTION'],
          plan.map(({ key, action }) => [key, action]),
        )}\n`
      : '';
  return { json, text: `${table}${summary}` };
}

/**
 * The README's tables of error codes and exit codes are the code's own tables: one class per code, its exit
 * code in the CLI, and what each exit code means. A code added to the package without its row fails here.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import * as secretstore from '../../src';
import { EXIT_CODE_MEANINGS, EXIT_CODE_OF, UNEXPECTED_ERROR } from '../../src/cli/exit-codes';
import { CLI_ERROR_CODES } from '../../src/cli/usage-error';

const README = readFileSync(path.resolve(__dirname, '..', '..', 'README.md'), 'utf8');

/** The rows of the README table whose header row starts with `firstHeader`, as trimmed cells. */
function tableAfter(firstHeader: string): string[][] {
  const start = README.indexOf(`| ${firstHeader}`);
  if (start < 0) throw new Error(`the README has no table starting with "${firstHeader}"`);
  const end = README.indexOf('\n\n', start);
  return README.slice(start, end)
    .split('\n')
    .slice(2)
    .map((row) =>
      row
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
}

type ErrorClass = new (...args: unknown[]) => secretstore.SecretStoreError;

/** Every error class the package exports, with the code its instances carry. */
function exportedErrorCodes(): [string, string][] {
  const codes: [string, string][] = [];
  for (const [name, exported] of Object.entries(secretstore) as [string, unknown][]) {
    if (typeof exported !== 'function' || !(exported.prototype instanceof secretstore.SecretStoreError)) continue;
    // Arguments that fit every constructor: the code does not depend on them.
    const instance = new (exported as ErrorClass)('k', ['$'], 'reason', true);
    codes.push([name, instance.code]);
  }
  return codes;
}

describe('README.md', () => {
  const errorRows = tableAfter('class');
  const codes = exportedErrorCodes();

  it('finds every code of the package among the exported classes', () => {
    expect([...new Set(codes.map(([, code]) => code))].sort()).toEqual(
      [...secretstore.SECRET_STORE_ERROR_CODES].sort(),
    );
  });

  it.each(codes)('has a row for %s (%s) with its exit code in the CLI', (name, code) => {
    const row = errorRows.find(([cls]) => cls.startsWith(`\`${name}\``));
    expect(row).toBeDefined();
    expect(row![1]).toBe(`\`${code}\``);
    expect(row![2]).toBe(String(EXIT_CODE_OF[code as secretstore.SecretStoreErrorCode]));
  });

  it('documents every code of the CLI itself', () => {
    const documented = tableAfter('code').map(([codes]) => codes);
    for (const code of [...CLI_ERROR_CODES, UNEXPECTED_ERROR]) {
      expect(documented.some((cell) => cell.includes(`\`${code}\``))).toBe(true);
    }
  });

  it('lists the exit codes with the meanings the CLI help prints', () => {
    expect(tableAfter('exit code')).toEqual(
      Object.entries(EXIT_CODE_MEANINGS).map(([exitCode, meaning]) => [exitCode, meaning]),
    );
  });
});

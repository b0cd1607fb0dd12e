/** The README documents every error code a caller can meet, and every exit code of the CLI. */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import * as secretstore from '../../src';
import { ExitCode } from '../../src/cli/exit-codes';
import { CLI_ERROR_CODES } from '../../src/cli/usage-error';

const README = readFileSync(path.resolve(__dirname, '..', '..', 'README.md'), 'utf8');

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
  const codes = exportedErrorCodes();

  it('finds the exported error classes', () => {
    expect(codes.length).toBeGreaterThanOrEqual(25);
  });

  it.each(codes)('names %s and its code %s in the errors table', (name, code) => {
    expect(README).toMatch(new RegExp(`\\| \`${name}\`[^\\n]*\\| \`${code}\` +\\|`));
  });

  it.each([...CLI_ERROR_CODES, 'UNEXPECTED_ERROR'])('documents the CLI code %s', (code) => {
    expect(README).toMatch(new RegExp(`\\| [^\\n]*\`${code}\`[^\\n]*\\|`));
  });

  it.each(Object.entries(ExitCode))('documents the exit code %s (%d)', (_, exitCode) => {
    expect(README).toMatch(new RegExp(`\\n\\| ${exitCode} +\\| `));
  });
});

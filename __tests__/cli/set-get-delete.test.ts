/**
 * `set`, `get`, `list` and `delete` on the embedded database, run in process: a value from an argument, --file
 * or stdin, read back for a person and as JSON, deleted; the development key made on first use, with one
 * warning.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

import type { InputStream } from '../../src/cli/json-input';
import { useCliFolder } from '../support/cli-folder';
import { CANARY, DEVELOPMENT_KEY_WARNING, expectJson, expectOk, ISO_TIME, type CliRun } from '../support/cli-output';
import { secretstore, stdinOf, useProcessStderr } from '../support/cli-run';

const TIMEOUT = 60_000;
/** Nothing listens on port 1: connecting fails at once with ECONNREFUSED. */
const UNREACHABLE = 'postgres://127.0.0.1:1/x';

const folder = useCliFolder('secretstore-cli-set-get-');
const devKeyWarnings = useProcessStderr();

describe('set, get, list and delete on the embedded database', () => {
  it(
    'writes from an argument, --file and stdin, reads back, deletes; --data-dir beats DATABASE_URL',
    async () => {
      const env = { DATABASE_URL: UNREACHABLE, PGHOST: '127.0.0.1', PGPORT: '1' };
      const runs: CliRun[] = [];
      const inData = async (args: string[], stdin?: InputStream): Promise<CliRun> => {
        const result = await secretstore(folder.inDataDir(...args), { env, stdin });
        runs.push(result);
        return result;
      };

      // Reading where there is no store creates none.
      expect(await inData(['list'])).toEqual({ code: 0, stdout: 'no secrets\n', stderr: '' });
      expect(existsSync(folder.dataDir)).toBe(false);

      const fromArgument = { token: CANARY, scopes: ['repo'] };
      const first = await inData(['--json', 'set', 'api.token', JSON.stringify(fromArgument)]);
      expect(devKeyWarnings(first)).toMatch(DEVELOPMENT_KEY_WARNING);
      expect(devKeyWarnings(first)).toContain(path.join(folder.dataDir, 'encryption-keys'));
      expect(expectJson(first)).toEqual({
        key: 'api.token',
        version: 1,
        updatedAt: ISO_TIME,
      });
      const fromFile = [{ token: CANARY }, { token: 'second' }];
      const file = folder.writeJson('value.json', fromFile);
      expect(expectOk(await inData(['set', 'api.token', '--file', file]))).toBe('key      api.token\nversion  2\n');
      const fromStdin = { nested: { list: [1, 2.5, null, true], text: 'é ✓' } };
      const stdin = stdinOf(['\uFEFF{"nested": ', Buffer.from(JSON.stringify(fromStdin.nested)), '}\n']);
      expect(expectJson(await inData(['--json', 'set', 'db.main'], stdin))).toMatchObject({
        key: 'db.main',
        version: 1,
      });

      expect(expectOk(await inData(['get', 'api.token']))).toBe(`${JSON.stringify(fromFile, null, 2)}\n`);
      expect(expectJson(await inData(['--json', 'get', 'db.main']))).toEqual({ key: 'db.main', value: fromStdin });
      expect(expectJson(await inData(['--json', 'delete', 'db.main']))).toEqual({ key: 'db.main', deleted: true });
      expect(expectOk(await inData(['delete', 'api.token']))).toBe(
        'deleted api.token: `secretstore undelete` brings it back; `secretstore destroy` erases it for good\n',
      );
      expect(expectJson(await inData(['--json', 'list']))).toEqual({ prefix: '', secrets: [] });

      // One warning, on first use only: no run after the first write printed it again, on its own stderr (which
      // expectOk and expectJson would pass) or on process.stderr; across all of them it shows exactly once.
      const later = runs.slice(runs.indexOf(first) + 1);
      expect(later).toHaveLength(7);
      expect(later.map((result) => result.stderr)).toEqual(later.map(() => ''));
      expect(devKeyWarnings(...runs)).toMatch(DEVELOPMENT_KEY_WARNING);
    },
    TIMEOUT,
  );
});

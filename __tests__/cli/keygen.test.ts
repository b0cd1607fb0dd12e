/** `keygen`, run in process: a new key as `id:<base64>`, or as JSON; no database opened. */
import { existsSync } from 'node:fs';

import { run } from '../../src/cli/program';
import { useCliFolder } from '../support/cli-folder';
import { expectJson, expectOk } from '../support/cli-output';
import { secretstore } from '../support/cli-run';

const folder = useCliFolder('secretstore-cli-keygen-');

describe('keygen', () => {
  it.each([
    { args: ['keygen'], id: 'k1' },
    { args: ['keygen', '--id', 'prod-2025.a_1'], id: 'prod-2025.a_1' },
  ])('$args prints id:<base64 of 32 bytes> and opens no database', async ({ args, id }) => {
    const [, humanId, humanKey] =
      /^([^:]+):([A-Za-z0-9+/]{43}=)\n$/.exec(expectOk(await secretstore(folder.inDataDir(...args)))) ?? [];
    expect(humanId).toBe(id);
    expect(Buffer.from(humanKey, 'base64')).toHaveLength(32);

    const generated = expectJson(await secretstore(folder.inDataDir('--json', ...args)));
    expect(generated).toEqual({ id, key: expect.any(String) as unknown, entry: `${id}:${String(generated.key)}` });
    expect(Buffer.from(String(generated.key), 'base64')).toHaveLength(32);
    expect(generated.key).not.toBe(humanKey);
    expect(existsSync(folder.dataDir)).toBe(false);
  });

  it('writes to process.stdout when run() is given no io', async () => {
    let printed = '';
    const stdoutSpy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed += String(chunk);
      return true;
    });
    try {
      await expect(run(['node', 'secretstore', 'keygen', '--id', 'from-process'])).resolves.toBe(0);
    } finally {
      stdoutSpy.mockRestore();
    }
    expect(printed).toMatch(/^from-process:[A-Za-z0-9+/]{43}=\n$/);
  });
});

/**
 * A server that cannot be reached, run in process: every command that needs the database exits 4 with
 * DATABASE_UNAVAILABLE naming the cause, never the password of the connection string.
 */
import { generateEncryptionKey } from '../../src';
import { useCliFolder } from '../support/cli-folder';
import { CANARY } from '../support/cli-output';
import { expectFailure } from '../support/cli-run';

const folder = useCliFolder('secretstore-cli-unreachable-');

describe('an unreachable server (exit 4)', () => {
  const keyring = { SECRETSTORE_ENCRYPTION_KEYS: `k1:${generateEncryptionKey()}` };
  const url = `postgres://app:${CANARY}@127.0.0.1:1/x`;

  it.each<{ args: string[]; env: Record<string, string> }>([
    { args: ['--database-url', url, 'get', 'oauth.github'], env: keyring },
    { args: ['--database-url', url, 'set', 'oauth.github', '{}'], env: keyring },
    { args: ['--database-url', url, 'delete', 'oauth.github'], env: keyring },
    { args: ['--database-url', url, 'list', '--values'], env: keyring },
    { args: ['--database-url', url, 'import', '<import>'], env: keyring },
    { args: ['--database-url', url, 'import', '<import>', '--dry-run'], env: keyring },
    { args: ['--database-url', url, 'rotate-keys'], env: keyring },
    { args: ['--database-url', url, 'status'], env: keyring },
    // Migrations need no keyring: they get as far as connecting.
    { args: ['--database-url', url, 'migrate'], env: {} },
    { args: ['status'], env: { ...keyring, DATABASE_URL: url } },
    { args: ['migrate'], env: { PGHOST: '127.0.0.1', PGPORT: '1', PGUSER: 'app', PGPASSWORD: CANARY } },
  ])('$args with $env', async ({ args, env }) => {
    const file = folder.writeJson('import.json', { 'oauth.github': { token: CANARY } });
    const resolved = args.map((arg) => (arg === '<import>' ? file : arg));
    const message = await expectFailure(resolved, 4, 'DATABASE_UNAVAILABLE', () => ({ env }));
    expect(message).toContain('ECONNREFUSED');
  });
});

/**
 * The README's "Mocking the repository" example, as a consumer writes it against the public API: it must
 * compile and pass as shown.
 */
import { z } from 'zod';

import {
  generateEncryptionKey,
  InMemorySecretStoreRepository,
  parseEncryptionKeys,
  SecretStore,
  StatementTimeoutError,
} from '../../src';

const GitHubOAuth = z.object({ client_id: z.string(), client_secret: z.string(), scopes: z.array(z.string()) });

/** Consumer code under test: adds a scope to the stored GitHub client. */
async function connectGitHub(store: SecretStore): Promise<void> {
  const current = await store.getSecretOrThrow(GitHubOAuth, 'oauth.github');
  await store.transaction(async (tx) => {
    await tx.setSecret('oauth.github', { ...current, scopes: [...current.scopes, 'workflow'] });
  });
}

it('tests consumer code over the in-memory repository, spying where it must, the way the README shows', async () => {
  const repository = new InMemorySecretStoreRepository();
  const store = new SecretStore(repository, { encryption: parseEncryptionKeys(`k1:${generateEncryptionKey()}`) });
  await store.setSecret('oauth.github', { client_id: 'x', client_secret: 'y', scopes: ['repo'] });

  await connectGitHub(store); // your code under test, over a real store in memory

  await expect(store.getSecretOrThrow(GitHubOAuth, 'oauth.github')).resolves.toMatchObject({
    scopes: ['repo', 'workflow'],
  });
  expect(await store.listSecretVersions('oauth.github')).toHaveLength(2); // the value it replaced is kept

  // A database that times out, for the test of your error path:
  jest
    .spyOn(repository, 'getSecret')
    .mockRejectedValueOnce(new StatementTimeoutError('Reading secret', '57014', 'canceling statement'));
  await expect(connectGitHub(store)).rejects.toMatchObject({ code: 'STATEMENT_TIMEOUT' });

  // Beyond the README: what the repository holds is encrypted, and the failed call changed nothing.
  const [current] = await repository.getSecretsByKeys(['oauth.github']);
  expect(current).toMatchObject({ encoding: 'aes-256-gcm', keyId: 'k1', version: 2 });
  expect(current.valueJson).not.toContain('workflow');
});

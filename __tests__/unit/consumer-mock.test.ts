/**
 * The README's "Mocking the repository" example, as a consumer writes it against the public API: it must
 * compile and pass as shown.
 */
import { z } from 'zod';

import { SecretStore, type SecretRecord, type SecretStoreRepository } from '../../src';

const GitHubOAuth = z.object({ client_id: z.string(), client_secret: z.string(), scopes: z.array(z.string()) });

/** Consumer code under test: adds a scope to the stored GitHub client. */
async function connectGitHub(store: SecretStore): Promise<void> {
  const current = await store.getSecretOrThrow(GitHubOAuth, 'oauth.github');
  await store.transaction(async (tx) => {
    await tx.setSecret('oauth.github', { ...current, scopes: [...current.scopes, 'workflow'] });
  });
}

const record = (key: string, value: unknown): SecretRecord => ({
  key,
  valueJson: JSON.stringify(value),
  version: 1,
  createdAt: new Date(),
  updatedAt: new Date(),
});

it('mocks SecretStoreRepository the way the README shows', async () => {
  const repository: jest.Mocked<SecretStoreRepository> = {
    getSecret: jest.fn(),
    getSecretsByKeys: jest.fn(),
    listSecretsByPrefix: jest.fn(),
    upsertSecret: jest.fn(),
    deleteSecret: jest.fn(),
    transaction: jest.fn(),
  };
  repository.transaction.mockImplementation((work) => work(repository));
  repository.getSecret.mockResolvedValue(
    record('oauth.github', { client_id: 'x', client_secret: 'y', scopes: ['repo'] }),
  );

  const store = new SecretStore(repository);
  await connectGitHub(store); // your code under test

  expect(repository.upsertSecret).toHaveBeenCalledWith('oauth.github', expect.any(String));
  const [, json] = repository.upsertSecret.mock.calls[0];
  expect(JSON.parse(json)).toEqual({ client_id: 'x', client_secret: 'y', scopes: ['repo', 'workflow'] });
  expect(repository.transaction).toHaveBeenCalledTimes(1);
});

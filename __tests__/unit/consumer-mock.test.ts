/**
 * The README's "Mocking the repository" example, as a consumer writes it against the public API: it must
 * compile and pass as shown.
 */
import { z } from 'zod';

import {
  generateEncryptionKey,
  parseEncryptionKeys,
  SecretStore,
  type SecretRecord,
  type SecretStoreRepository,
} from '../../src';

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
  encoding: 'plain',
  keyId: null,
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
    writeSecretIfVersion: jest.fn(),
    upsertSecrets: jest.fn(),
    listSecretsToRotate: jest.fn(),
    reencryptSecret: jest.fn(),
    deleteSecret: jest.fn(),
    countSecretsByEncryption: jest.fn(),
    getKeyFingerprints: jest.fn(),
    recordKeyFingerprint: jest.fn(),
    transaction: jest.fn(),
  };
  repository.transaction.mockImplementation((work) => work(repository));
  // The key check: a database that knows no key yet, and records the one the store writes with.
  repository.getKeyFingerprints.mockResolvedValue([]);
  repository.recordKeyFingerprint.mockImplementation((_keyId, fingerprint) => Promise.resolve(fingerprint));
  repository.upsertSecret.mockResolvedValue({ version: 2 });
  repository.getSecret.mockResolvedValue(
    record('oauth.github', { client_id: 'x', client_secret: 'y', scopes: ['repo'] }),
  );

  const store = new SecretStore(repository, { encryption: parseEncryptionKeys(`k1:${generateEncryptionKey()}`) });
  await connectGitHub(store); // your code under test

  expect(repository.upsertSecret).toHaveBeenCalledWith(
    'oauth.github',
    expect.objectContaining({ encoding: 'aes-256-gcm', keyId: 'k1' }),
  );
  expect(repository.transaction).toHaveBeenCalledTimes(1);
  await expect(store.setSecret('oauth.gitlab', { client_id: 'z' })).resolves.toEqual({ version: 2 });
  // Beyond the README: what was written is encrypted, and reads back as the updated value.
  const [, stored] = repository.upsertSecret.mock.calls[0];
  expect(stored.valueJson).not.toContain('workflow');
  repository.getSecret.mockResolvedValue({ ...record('oauth.github', null), ...stored });
  await expect(store.getSecretOrThrow(GitHubOAuth, 'oauth.github')).resolves.toEqual({
    client_id: 'x',
    client_secret: 'y',
    scopes: ['repo', 'workflow'],
  });
});

/**
 * The platform team's unit test: GitHubConnections over a SecretStore whose repository is a jest mock.
 * No database; the store's own validation and encryption still run.
 */
import {
  generateEncryptionKey,
  parseEncryptionKeys,
  SecretNotFoundError,
  SecretStore,
  type SecretRecord,
  type SecretStoreRepository,
  type StoredValue,
} from '@kongflow/secretstore';

import { GitHubConnections, type GitHubInstallation } from '../src/github-connections';

function mockRepository(): jest.Mocked<SecretStoreRepository> {
  const repository: jest.Mocked<SecretStoreRepository> = {
    getSecret: jest.fn(),
    getSecretsByKeys: jest.fn(),
    listSecretsByPrefix: jest.fn(),
    upsertSecret: jest.fn(),
    writeSecretIfVersion: jest.fn(),
    upsertSecrets: jest.fn(),
    deleteSecret: jest.fn(),
    countSecretsByEncryption: jest.fn(),
    listSecretsToRotate: jest.fn(),
    reencryptSecret: jest.fn(),
    getKeyFingerprints: jest.fn(),
    recordKeyFingerprint: jest.fn(),
    transaction: jest.fn(),
  };
  repository.transaction.mockImplementation((work) => work(repository));
  // The key check: a database that knows no key yet, and records the one the store writes with.
  repository.getKeyFingerprints.mockResolvedValue([]);
  repository.recordKeyFingerprint.mockImplementation((_keyId, fingerprint) => Promise.resolve(fingerprint));
  // A write resolves the version it produced.
  repository.upsertSecret.mockResolvedValue({ version: 1 });
  return repository;
}

const record = (key: string, stored: StoredValue): SecretRecord => ({
  key,
  ...stored,
  version: 1,
  createdAt: new Date('2026-01-01T00:00:00Z'),
  updatedAt: new Date('2026-01-01T00:00:00Z'),
});

const installation: GitHubInstallation = {
  installationId: 42,
  accessToken: 'ghs_example',
  expiresAt: '2026-06-01T00:00:00Z',
  scopes: ['contents:read'],
};

let repository: jest.Mocked<SecretStoreRepository>;
let connections: GitHubConnections;

beforeEach(() => {
  repository = mockRepository();
  const store = new SecretStore(repository, { encryption: parseEncryptionKeys(`k1:${generateEncryptionKey()}`) });
  connections = new GitHubConnections(store, () => new Date('2026-05-01T00:00:00Z'));
});

/** What connect() handed the repository, fed back as the stored row. */
async function connected(orgId: string): Promise<SecretRecord> {
  await connections.connect(orgId, installation);
  const [key, stored] = repository.upsertSecret.mock.calls[0];
  return record(key, stored);
}

describe('GitHubConnections', () => {
  it('stores the installation encrypted under the org key', async () => {
    const row = await connected('acme');
    expect(row.key).toBe('oauth.github.acme');
    expect(row.encoding).toBe('aes-256-gcm');
    expect(row.valueJson).not.toContain('ghs_example');
  });

  it('returns the token of a connected org, and nothing once it expired', async () => {
    const row = await connected('acme');
    repository.getSecret.mockResolvedValue(row);
    expect(await connections.accessToken('acme')).toBe('ghs_example');

    const expired = new GitHubConnections(
      new SecretStore(repository, { encryption: 'none' }),
      () => new Date('2027-01-01T00:00:00Z'),
    );
    repository.getSecret.mockResolvedValue(
      record('oauth.github.acme', { valueJson: JSON.stringify(installation), encoding: 'plain', keyId: null }),
    );
    expect(await expired.accessToken('acme')).toBeUndefined();
  });

  it('reads a missing org as not connected', async () => {
    repository.getSecret.mockResolvedValue(undefined);
    expect(await connections.accessToken('nobody')).toBeUndefined();
    expect(repository.getSecret).toHaveBeenCalledWith('oauth.github.nobody');
  });

  it('refuses an installation that does not match the schema, writing nothing', async () => {
    await expect(connections.connect('acme', { ...installation, installationId: -1 })).rejects.toThrow();
    expect(repository.upsertSecret).not.toHaveBeenCalled();
  });

  it('refreshes a token and drops the webhook secret in one transaction', async () => {
    repository.getSecret.mockResolvedValue(await connected('acme'));
    repository.upsertSecret.mockClear();

    await connections.refresh('acme', 'ghs_new', '2026-07-01T00:00:00Z');

    expect(repository.transaction).toHaveBeenCalledTimes(1);
    expect(repository.upsertSecret).toHaveBeenCalledWith('oauth.github.acme', expect.objectContaining({ keyId: 'k1' }));
    expect(repository.deleteSecret).toHaveBeenCalledWith('webhook.github.acme');
  });

  it('surfaces SecretNotFoundError when refreshing an org that is not connected', async () => {
    repository.getSecret.mockResolvedValue(undefined);
    await expect(connections.refresh('nobody', 't', '2026-07-01T00:00:00Z')).rejects.toBeInstanceOf(
      SecretNotFoundError,
    );
    expect(repository.deleteSecret).not.toHaveBeenCalled();
  });
});

/**
 * The platform team's unit test: GitHubConnections over a SecretStore on the package's in-memory repository,
 * spied on where a test must see or control what reaches the database. No database; the store's own
 * validation, encryption and history still run.
 */
import {
  generateEncryptionKey,
  InMemorySecretStoreRepository,
  parseEncryptionKeys,
  SecretNotFoundError,
  SecretStore,
} from '@kongflow/secretstore';

import { GitHubConnections, type GitHubInstallation } from '../src/github-connections';

const installation: GitHubInstallation = {
  installationId: 42,
  accessToken: 'ghs_example',
  expiresAt: '2026-06-01T00:00:00Z',
  scopes: ['contents:read'],
};

let repository: InMemorySecretStoreRepository;
let store: SecretStore;
let connections: GitHubConnections;

beforeEach(() => {
  repository = new InMemorySecretStoreRepository();
  store = new SecretStore(repository, { encryption: parseEncryptionKeys(`k1:${generateEncryptionKey()}`) });
  connections = new GitHubConnections(store, () => new Date('2026-05-01T00:00:00Z'));
});

describe('GitHubConnections', () => {
  it('stores the installation encrypted under the org key', async () => {
    await connections.connect('acme', installation);

    const [row] = await repository.getSecretsByKeys(['oauth.github.acme']);
    expect(row).toMatchObject({ key: 'oauth.github.acme', encoding: 'aes-256-gcm', keyId: 'k1' });
    expect(row.valueJson).not.toContain('ghs_example');
  });

  it('returns the token of a connected org, and nothing once it expired', async () => {
    await connections.connect('acme', installation);
    expect(await connections.accessToken('acme')).toBe('ghs_example');

    const later = new GitHubConnections(store, () => new Date('2027-01-01T00:00:00Z'));
    expect(await later.accessToken('acme')).toBeUndefined();
  });

  it('reads a missing org as not connected', async () => {
    const getSecret = jest.spyOn(repository, 'getSecret');
    expect(await connections.accessToken('nobody')).toBeUndefined();
    expect(getSecret).toHaveBeenCalledWith('oauth.github.nobody');
  });

  it('refuses an installation that does not match the schema, writing nothing', async () => {
    const writeSecret = jest.spyOn(repository, 'writeSecret');
    await expect(connections.connect('acme', { ...installation, installationId: -1 })).rejects.toThrow();
    expect(writeSecret).not.toHaveBeenCalled();
    expect(await connections.connectedOrgs()).toEqual([]);
  });

  it('refreshes a token and drops the webhook secret in one transaction', async () => {
    await connections.connect('acme', installation);
    await store.setSecret('webhook.github.acme', { secret: 'whsec' });
    const transaction = jest.spyOn(repository, 'transaction');

    await connections.refresh('acme', 'ghs_new', '2026-07-01T00:00:00Z');

    expect(transaction).toHaveBeenCalledTimes(1);
    expect(await connections.accessToken('acme')).toBe('ghs_new');
    expect(await store.getSecretMetadata('webhook.github.acme')).toMatchObject({
      deletedAt: expect.any(Date) as unknown,
    });
    // The token it replaced is kept as an older version.
    expect((await store.listSecretVersions('oauth.github.acme')).map(({ version }) => version)).toEqual([2, 1]);
  });

  it('surfaces SecretNotFoundError when refreshing an org that is not connected, changing nothing', async () => {
    await store.setSecret('webhook.github.nobody', { secret: 'whsec' });
    await expect(connections.refresh('nobody', 't', '2026-07-01T00:00:00Z')).rejects.toBeInstanceOf(
      SecretNotFoundError,
    );
    expect(await store.getSecretMetadata('webhook.github.nobody')).toMatchObject({ deletedAt: null });
  });
});

import type { SecretRecord, SecretStoreRepository } from '../../src/secretstore/repository';

/** A jest mock of every SecretStoreRepository method; transaction() runs `work` on the mock itself. */
export function mockSecretStoreRepository(): jest.Mocked<SecretStoreRepository> {
  const repository: jest.Mocked<SecretStoreRepository> = {
    getSecret: jest.fn(),
    getSecretsByKeys: jest.fn(),
    listSecretsByPrefix: jest.fn(),
    upsertSecret: jest.fn(),
    deleteSecret: jest.fn(),
    transaction: jest.fn((work: (repository: SecretStoreRepository) => Promise<unknown>) =>
      work(repository),
    ) as jest.Mocked<SecretStoreRepository>['transaction'],
  };
  return repository;
}

/** Every mock method of `repository` that was called, by name. */
export function calledMethods(repository: jest.Mocked<SecretStoreRepository>): string[] {
  return Object.entries(repository)
    .filter(([, method]) => (method as jest.Mock).mock.calls.length > 0)
    .map(([name]) => name);
}

export function secretRecord(key: string, valueJson: string): SecretRecord {
  const at = new Date('2024-01-02T03:04:05Z');
  return { key, valueJson, version: 1, createdAt: at, updatedAt: at };
}

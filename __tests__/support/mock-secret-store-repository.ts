import type { EncryptionOptions, StoredValue } from '../../src';
import type { SecretRecord, SecretStoreRepository } from '../../src';
import { SecretStore } from '../../src';

/** A jest mock of every SecretStoreRepository method; transaction() runs `work` on the mock itself. */
export function mockSecretStoreRepository(): jest.Mocked<SecretStoreRepository> {
  const repository: jest.Mocked<SecretStoreRepository> = {
    getSecret: jest.fn(),
    getSecretsByKeys: jest.fn(),
    listSecretsByPrefix: jest.fn(),
    // Like the real repository, a write resolves the version it produced.
    upsertSecret: jest.fn<Promise<{ version: number }>, [string, StoredValue]>(() => Promise.resolve({ version: 1 })),
    writeSecretIfVersion: jest.fn(),
    upsertSecrets: jest.fn(),
    listSecretsToRotate: jest.fn(),
    reencryptSecret: jest.fn(),
    deleteSecret: jest.fn(),
    countSecretsByEncryption: jest.fn(),
    // A database that records no key yet, and records whatever it is given.
    getKeyFingerprints: jest.fn(() => Promise.resolve([])),
    recordKeyFingerprint: jest.fn((_keyId: string, fingerprint: string) => Promise.resolve(fingerprint)),
    transaction: jest.fn((work: (repository: SecretStoreRepository) => Promise<unknown>) =>
      work(repository),
    ) as jest.Mocked<SecretStoreRepository>['transaction'],
  };
  return repository;
}

const KEY_CHECK_METHODS = new Set(['getKeyFingerprints', 'recordKeyFingerprint']);

/** Every mock method of `repository` that was called, by name; the once-per-store key check aside. */
export function calledMethods(repository: jest.Mocked<SecretStoreRepository>): string[] {
  return Object.entries(repository)
    .filter(([name, method]) => !KEY_CHECK_METHODS.has(name) && (method as jest.Mock).mock.calls.length > 0)
    .map(([name]) => name);
}

/** A stored row as the repository returns it. */
export function storedRecord(key: string, stored: StoredValue, version = 1): SecretRecord {
  const at = new Date('2024-01-02T03:04:05Z');
  return { key, ...stored, version, createdAt: at, updatedAt: at };
}

/** A plaintext row, as a store with encryption 'none' writes it. */
export function secretRecord(key: string, valueJson: string): SecretRecord {
  return storedRecord(key, { valueJson, encoding: 'plain', keyId: null });
}

/** What the `call`-th upsertSecret call was given to store. */
export function upsertedValue(repository: jest.Mocked<SecretStoreRepository>, call = 0): StoredValue {
  const calls = repository.upsertSecret.mock.calls;
  if (call >= calls.length) throw new Error(`upsertSecret was called ${calls.length} times, not ${call + 1}`);
  return calls[call][1];
}

/** What a store of `encryption` hands the repository to store `value` as the secret `key`. */
export async function storedValueOf(key: string, value: object, encryption: EncryptionOptions): Promise<StoredValue> {
  const writer = mockSecretStoreRepository();
  await new SecretStore(writer, { encryption }).setSecret(key, value);
  return upsertedValue(writer);
}

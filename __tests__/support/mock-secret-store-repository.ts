import type {
  AuditRecord,
  EncryptionOptions,
  SecretRecord,
  SecretStoreRepository,
  StoredValue,
  WriteOptions,
  WrittenValue,
} from '../../src';
import { SecretStore } from '../../src';

/** A jest mock of every SecretStoreRepository method; transaction() runs `work` on the mock itself. */
export function mockSecretStoreRepository(): jest.Mocked<SecretStoreRepository> {
  const repository: jest.Mocked<SecretStoreRepository> = {
    getSecret: jest.fn(),
    getSecretsByKeys: jest.fn(),
    listSecretsByPrefix: jest.fn(),
    // Like the real repository, a write resolves the version it produced.
    writeSecret: jest.fn<Promise<{ version: number } | undefined>, [string, WrittenValue, WriteOptions]>(() =>
      Promise.resolve({ version: 1 }),
    ),
    upsertSecrets: jest.fn(),
    deleteSecret: jest.fn(),
    undeleteSecret: jest.fn(),
    destroySecretVersions: jest.fn(),
    purgeDeletedSecrets: jest.fn(),
    updateSecretMetadata: jest.fn(),
    getSecretMetadata: jest.fn(),
    listSecretMetadata: jest.fn(),
    listSecretsDue: jest.fn(),
    getSecretVersion: jest.fn(),
    listSecretVersions: jest.fn(),
    listVersionsToRotate: jest.fn(),
    reencryptVersion: jest.fn(),
    countSecretsByEncryption: jest.fn(),
    // A database that records no key yet, and records whatever it is given.
    getKeyFingerprints: jest.fn(() => Promise.resolve([])),
    recordKeyFingerprint: jest.fn((_keyId: string, fingerprint: string) => Promise.resolve(fingerprint)),
    // An audit trail that takes every record and holds none.
    appendAuditRecord: jest.fn<Promise<void>, Parameters<SecretStoreRepository['appendAuditRecord']>>(() =>
      Promise.resolve(),
    ),
    readAuditRecords: jest.fn<Promise<AuditRecord[]>, Parameters<SecretStoreRepository['readAuditRecords']>>(() =>
      Promise.resolve([]),
    ),
    findAuditRecords: jest.fn<Promise<AuditRecord[]>, Parameters<SecretStoreRepository['findAuditRecords']>>(() =>
      Promise.resolve([]),
    ),
    readUnsealedAuditRecords: jest.fn<
      Promise<AuditRecord[]>,
      Parameters<SecretStoreRepository['readUnsealedAuditRecords']>
    >(() => Promise.resolve([])),
    readSealedAuditRecords: jest.fn<
      Promise<AuditRecord[]>,
      Parameters<SecretStoreRepository['readSealedAuditRecords']>
    >(() => Promise.resolve([])),
    listAuditCheckpoints: jest.fn(() => Promise.resolve([])),
    lockAuditTrail: jest.fn(() => Promise.resolve()),
    sealAuditRecords: jest.fn(),
    resealAuditCheckpoint: jest.fn(),
    listCurrentWrites: jest.fn(),
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

/** A stored row as the repository returns it: `stored` as its current version, of the write it names (if any). */
export function storedRecord(key: string, stored: StoredValue | WrittenValue, version = 1): SecretRecord {
  const at = new Date('2024-01-02T03:04:05Z');
  const writeId = 'writeId' in stored ? stored.writeId : null;
  return { key, ...stored, writeId, version, createdAt: at, updatedAt: at, expiresAt: null };
}

/** A plaintext row, as a store with encryption 'none' writes it. */
export function secretRecord(key: string, valueJson: string): SecretRecord {
  return storedRecord(key, { valueJson, encoding: 'plain', keyId: null });
}

/** What the `call`-th writeSecret call was given to store. */
export function upsertedValue(repository: jest.Mocked<SecretStoreRepository>, call = 0): WrittenValue {
  const calls = repository.writeSecret.mock.calls;
  if (call >= calls.length) throw new Error(`writeSecret was called ${calls.length} times, not ${call + 1}`);
  return calls[call][1];
}

/** What a store of `encryption` hands the repository to store `value` as the secret `key`. */
export async function storedValueOf(key: string, value: object, encryption: EncryptionOptions): Promise<WrittenValue> {
  const writer = mockSecretStoreRepository();
  await new SecretStore(writer, { encryption }).setSecret(key, value);
  return upsertedValue(writer);
}

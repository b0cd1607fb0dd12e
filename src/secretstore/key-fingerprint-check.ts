import { EncryptionKeyMismatchError } from '../errors';
import type { SecretStoreRepository } from './secret-store-repository';

/** How one key id of the keyring, or of the database, compares with the fingerprints the database records. */
export interface EncryptionKeyCheck {
  keyId: string;
  /**
   * `recorded`: in the keyring, and the database records this very key under its id. `unrecorded`: in the
   * keyring, and no value was written under its id yet. `mismatched`: in the keyring, but the database
   * knows another key under that id. `missing`: the database records the id, the keyring lacks it.
   */
  state: 'recorded' | 'unrecorded' | 'mismatched' | 'missing';
}

/** Compares a keyring's fingerprints with those a database records; ordered by key id. */
function compareFingerprints(
  keyring: ReadonlyMap<string, string>,
  recorded: readonly { keyId: string; fingerprint: string }[],
): EncryptionKeyCheck[] {
  const known = new Map(recorded.map((entry) => [entry.keyId, entry.fingerprint]));
  const checks: EncryptionKeyCheck[] = [];
  for (const [keyId, fingerprint] of keyring) {
    const stored = known.get(keyId);
    checks.push({
      keyId,
      state: stored === undefined ? 'unrecorded' : stored === fingerprint ? 'recorded' : 'mismatched',
    });
  }
  for (const keyId of known.keys()) if (!keyring.has(keyId)) checks.push({ keyId, state: 'missing' });
  return checks.sort((a, b) => (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0));
}

function mismatch(keyId: string): EncryptionKeyMismatchError {
  return new EncryptionKeyMismatchError(
    keyId,
    'values were written under this id with a different key. Restore the key that was used (e.g. from a backup ' +
      'of SECRETSTORE_ENCRYPTION_KEYS or of the data folder), or give the new key an id of its own',
  );
}

/**
 * The key canary: before a store first reads a value, the keyring is compared with the fingerprints the
 * database records, and a key under a known id with another fingerprint is refused; before its first write,
 * the active key's fingerprint is recorded. Each runs once per store; a failed check runs again next time.
 */
export class KeyFingerprintCheck {
  private verified: Promise<void> | undefined;
  private ready = false;
  private activeRecorded = false;

  constructor(
    private readonly keyring: ReadonlyMap<string, string>,
    private readonly activeKeyId: string | undefined,
  ) {
    // A store without keys (plaintext) has nothing to check.
    if (keyring.size === 0) this.ready = this.activeRecorded = true;
  }

  /** Undefined once the keyring is known to match (the common case costs no promise), else the check. */
  beforeRead(repository: SecretStoreRepository): Promise<void> | undefined {
    if (this.ready) return undefined;
    this.verified ??= this.verify(repository).then(
      () => {
        this.ready = true;
      },
      (error: unknown) => {
        this.verified = undefined;
        throw error;
      },
    );
    return this.verified;
  }

  /**
   * Checks the keyring, then records the active key's fingerprint if the database has none for its id.
   * Inside a transaction the record may still be rolled back, so only a write outside one counts it as done.
   */
  async beforeWrite(repository: SecretStoreRepository, inTransaction: boolean): Promise<void> {
    await this.beforeRead(repository);
    if (this.activeRecorded || this.activeKeyId === undefined) return;
    const fingerprint = this.keyring.get(this.activeKeyId) as string;
    const recorded = await repository.recordKeyFingerprint(this.activeKeyId, fingerprint);
    if (recorded !== fingerprint) throw mismatch(this.activeKeyId);
    if (!inTransaction) this.activeRecorded = true;
  }

  /** Every key id of the keyring and of the database, compared; reports rather than throws. */
  async compare(repository: SecretStoreRepository): Promise<EncryptionKeyCheck[]> {
    return compareFingerprints(this.keyring, await repository.getKeyFingerprints());
  }

  private async verify(repository: SecretStoreRepository): Promise<void> {
    const checks = await this.compare(repository);
    const mismatched = checks.find((check) => check.state === 'mismatched');
    if (mismatched) throw mismatch(mismatched.keyId);
    if (checks.some((check) => check.keyId === this.activeKeyId && check.state === 'recorded')) {
      this.activeRecorded = true;
    }
  }
}

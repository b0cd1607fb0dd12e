import {
  AuditTrailInvalidError,
  SecretStoreConfigError,
  SecretStoreError,
  StatementTimeoutError,
  TransactionConflictError,
} from '../errors';
import { integerArgument } from '../whole-number';
import { actorOf, auditEntry, resealAuditCheckpoints, sealAuditTrail } from './audit-trail';
import { actorArgument } from './lifecycle-arguments';
import { plaintextOf } from './record-decoding';
import type { SecretStoreRepository } from './secret-store-repository';
import { readWithRetry } from './retry-policy';
import type { StoreCore } from './store-core';

export interface RotationOptions {
  /** Versions read per round trip, from 1 to 100,000. Default 100. */
  batchSize?: number;
  /** Who runs the rotation, for the audit trail (see ActorOption). */
  actor?: string;
}

export interface RotationResult {
  /** Kept versions found not under the active key. */
  scanned: number;
  /** Versions re-encrypted under the active key. */
  reEncrypted: number;
  /** Versions a concurrent change rewrote, destroyed or removed meanwhile: left as they are. */
  skipped: number;
  /**
   * Versions left as they are, with the error code: ones that could not be read (unknown key id, tampered,
   * corrupt), and ones that could not be rewritten in time (locked past the statement timeout, deadlocked).
   */
  failed: { key: string; version: number; code: string }[];
  /** Audit checkpoints signed again under the active key, after every record was sealed. */
  auditCheckpointsResealed: number;
  /**
   * Why the audit trail could not be sealed and signed again (a record it cannot check, e.g. one signed under a
   * key no longer in the keyring): the versions above are rotated all the same, nothing of the trail changed.
   * Rotation is not done while this is set: the old key must stay until a run reports none.
   */
  auditTrailProblem?: string;
}

const DEFAULT_BATCH_SIZE = 100;
const MAX_BATCH_SIZE = 100_000;

/** Errors of one row's rewrite that rotation records and moves past: the row was locked, not the database gone. */
function isRowLevelFailure(error: unknown): error is SecretStoreError {
  return error instanceof StatementTimeoutError || error instanceof TransactionConflictError;
}

/**
 * Re-encrypts, batch by batch, every kept version not under the active key: versions under other keys,
 * plaintext ones and ones imported from trigger.dev. A version is rewritten only if it is still the same write
 * under the same key, so a concurrent change is never overwritten; versions and times stay as they are. Then
 * seals the audit trail and signs its checkpoints again under the active key (`inOneTransaction`), so that
 * nothing needs the old keys any more once a run scans nothing. Safe to run again: it picks up what is left.
 */
export async function rotateEncryptionKeys(
  core: StoreCore,
  repository: SecretStoreRepository,
  options: RotationOptions,
  inOneTransaction: <T>(work: (repository: SecretStoreRepository) => Promise<T>) => Promise<T>,
): Promise<RotationResult> {
  const batchSize =
    options?.batchSize === undefined
      ? DEFAULT_BATCH_SIZE
      : integerArgument('batchSize', options.batchSize, 1, MAX_BATCH_SIZE);
  const actor = actorOf(actorArgument(options?.actor));
  const { codec, telemetry } = core;
  const activeKeyId = codec.activeKeyId;
  const activeEncoding = codec.activeEncoding ?? 'aes-256-gcm';
  if (activeKeyId === undefined) {
    throw new SecretStoreConfigError('encryption', "is 'none': there is no key to rotate to");
  }
  await core.keyCheck.beforeWrite(repository, core.inTransaction);
  const result: RotationResult = { scanned: 0, reEncrypted: 0, skipped: 0, failed: [], auditCheckpointsResealed: 0 };
  const leave = (key: string, version: number, code: string) => {
    result.failed.push({ key, version, code });
    telemetry.rotationFailure(key, code);
  };
  let after = { key: '', version: 0 };
  for (;;) {
    const batch = await readWithRetry(core.retry, () =>
      repository.listVersionsToRotate(activeKeyId, after, batchSize, activeEncoding),
    );
    for (const record of batch) {
      result.scanned++;
      after = { key: record.key, version: record.version };
      let json: string;
      try {
        // Decoded and parsed as a read would: a version no one can read is reported, not re-encrypted.
        json = plaintextOf(codec, record).json;
      } catch (error) {
        if (!(error instanceof SecretStoreError)) throw error;
        leave(record.key, record.version, error.code);
        continue;
      }
      let rewritten: boolean;
      try {
        // Bound to the same write as before: the version stays the write it was.
        const value = codec.encode(record.key, json, record.writeId);
        const audit = auditEntry(codec.auditMac, 'rotate', record.key, record.writeId, actor);
        rewritten = await repository.reencryptVersion(record, value, audit);
      } catch (error) {
        // A row locked past the statement timeout is one row: report it and go on; a lost database is not.
        if (!isRowLevelFailure(error) || core.inTransaction) throw error;
        leave(record.key, record.version, error.code);
        continue;
      }
      if (rewritten) result.reEncrypted++;
      else result.skipped++;
    }
    if (batch.length < batchSize) break;
  }
  // Records made before a keyring was configured carry a plain hash: sealing them under the key is the
  // operator's explicit move to a keyed trail.
  try {
    result.auditCheckpointsResealed = await inOneTransaction(async (transaction) => {
      await sealAuditTrail(codec, transaction, true);
      return resealAuditCheckpoints(codec, transaction);
    });
  } catch (error) {
    // The trail is checked before anything of it is written: reported, so that the rotated versions and the
    // failed ones are not lost to the caller.
    if (!(error instanceof AuditTrailInvalidError)) throw error;
    result.auditTrailProblem = error.message;
  }
  return result;
}

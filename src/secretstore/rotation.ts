import { SecretStoreConfigError, SecretStoreError, StatementTimeoutError, TransactionConflictError } from '../errors';
import { integerArgument } from '../whole-number';
import { plaintextOf } from './record-decoding';
import type { SecretStoreRepository } from './secret-store-repository';
import { readWithRetry } from './retry-policy';
import type { StoreCore } from './store-core';

export interface RotationOptions {
  /** Rows read and re-encrypted per round trip, from 1 to 100,000. Default 100. */
  batchSize?: number;
}

export interface RotationResult {
  /** Rows found not under the active key. */
  scanned: number;
  /** Rows re-encrypted under the active key. */
  reEncrypted: number;
  /** Rows a concurrent write changed (already under the active key) or deleted meanwhile: left as they are. */
  skipped: number;
  /**
   * Rows left as they are, with the error code: rows that could not be read (unknown key id, tampered,
   * corrupt), and rows that could not be rewritten in time (locked past the statement timeout, deadlocked).
   */
  failed: { key: string; code: string }[];
}

const DEFAULT_BATCH_SIZE = 100;
const MAX_BATCH_SIZE = 100_000;

/** Errors of one row's rewrite that rotation records and moves past: the row was locked, not the database gone. */
function isRowLevelFailure(error: unknown): error is SecretStoreError {
  return error instanceof StatementTimeoutError || error instanceof TransactionConflictError;
}

/**
 * Re-encrypts, batch by batch, every row not under the active key: rows under other keys, plaintext rows and
 * rows imported from trigger.dev. A row is rewritten only if its version is unchanged since it was read, so a
 * concurrent write is never overwritten with older data; version and updatedAt stay as they are. Safe to run
 * again: it picks up whatever is left.
 */
export async function rotateEncryptionKeys(
  core: StoreCore,
  repository: SecretStoreRepository,
  options: RotationOptions,
): Promise<RotationResult> {
  const batchSize =
    options?.batchSize === undefined
      ? DEFAULT_BATCH_SIZE
      : integerArgument('batchSize', options.batchSize, 1, MAX_BATCH_SIZE);
  const { codec, telemetry } = core;
  const activeKeyId = codec.activeKeyId;
  if (activeKeyId === undefined) {
    throw new SecretStoreConfigError('encryption', "is 'none': there is no key to rotate to");
  }
  await core.keyCheck.beforeWrite(repository, core.inTransaction);
  const result: RotationResult = { scanned: 0, reEncrypted: 0, skipped: 0, failed: [] };
  const leave = (key: string, code: string) => {
    result.failed.push({ key, code });
    telemetry.rotationFailure(key, code);
  };
  let afterKey = '';
  for (;;) {
    const batch = await readWithRetry(core.retry, () =>
      repository.listSecretsToRotate(activeKeyId, afterKey, batchSize),
    );
    for (const record of batch) {
      result.scanned++;
      afterKey = record.key;
      let json: string;
      try {
        // Decoded and parsed as a read would: a row no one can read is reported, not re-encrypted.
        json = plaintextOf(codec, record).json;
      } catch (error) {
        if (!(error instanceof SecretStoreError)) throw error;
        leave(record.key, error.code);
        continue;
      }
      let rewritten: boolean;
      try {
        rewritten = await repository.reencryptSecret(record.key, record.version, codec.encode(record.key, json));
      } catch (error) {
        // A row locked past the statement timeout is one row: report it and go on; a lost database is not.
        if (!isRowLevelFailure(error) || core.inTransaction) throw error;
        leave(record.key, error.code);
        continue;
      }
      if (rewritten) result.reEncrypted++;
      else result.skipped++;
    }
    if (batch.length < batchSize) return result;
  }
}

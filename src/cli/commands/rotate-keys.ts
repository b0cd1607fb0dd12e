import type { RotationResult } from '../../secretstore/rotation';
import type { CommandContext } from '../command-context';
import { ExitCode } from '../exit-codes';
import { describeKeyring } from '../keyring';
import { algorithmNote } from './status';
import { formatFields, formatTable, type CommandResult } from '../output';

export interface RotateKeysOptions {
  batchSize?: number;
}

interface RotateKeysJson extends RotationResult {
  activeKeyId: string | undefined;
  /** What every version was moved to, with the key. */
  algorithm: string | undefined;
}

/**
 * Re-encrypts every kept version not under the active key (the first of SECRETSTORE_ENCRYPTION_KEYS), then
 * reseals the audit trail's checkpoints under it; exit 5 when any version is left.
 */
export async function rotateKeysCommand(context: CommandContext, options: RotateKeysOptions): Promise<CommandResult> {
  const json: RotateKeysJson = await context.database.withStore(async (store) => {
    const { activeKeyId, algorithm } = describeKeyring(store);
    return { activeKeyId, algorithm, ...(await store.rotateEncryptionKeys({ batchSize: options.batchSize })) };
  });
  const fields = formatFields([
    ['active key', `${json.activeKeyId ?? 'none'}${algorithmNote(json.algorithm)}`],
    ['scanned', String(json.scanned)],
    ['re-encrypted', String(json.reEncrypted)],
    ['skipped', String(json.skipped)],
    ['failed', String(json.failed.length)],
    ['checkpoints resealed', String(json.auditCheckpointsResealed)],
  ]);
  const failures =
    json.failed.length > 0
      ? `\n${formatTable(
          ['FAILED KEY', 'VERSION', 'CODE'],
          json.failed.map((f) => [f.key, String(f.version), f.code]),
        )}`
      : '';
  const trail = json.auditTrailProblem
    ? `\nthe audit trail was not sealed under the active key: ${json.auditTrailProblem}; keep the old keys until a run reports no problem`
    : '';
  if (json.failed.length === 0 && !trail) return { json, text: `${fields}${failures}` };
  const count = json.failed.length;
  const summary =
    count === 0
      ? trail.slice(1)
      : `${count} version${count === 1 ? ' was' : 's were'} left under ${count === 1 ? 'its' : 'their'} old key: ` +
        `fix the cause (a key missing from the keyring, a locked row) and run rotate-keys again${trail}`;
  // Rotation is not done while any row is left: a script must not go on to remove the old key.
  return { json, text: `${fields}${failures}\n${summary}`, exitCode: ExitCode.failure };
}

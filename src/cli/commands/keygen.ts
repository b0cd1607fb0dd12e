import { generateEncryptionKey } from '../../encryption/encryption-key';
import type { CommandResult } from '../output';

export interface KeygenOptions {
  id: string;
}

interface KeygenJson {
  id: string;
  /** Base64 of 32 random bytes. */
  key: string;
  /** `id:key`, an entry of SECRETSTORE_ENCRYPTION_KEYS. */
  entry: string;
}

/** A new key in the form of SECRETSTORE_ENCRYPTION_KEYS. Opens no database. */
export function keygenCommand(options: KeygenOptions): CommandResult {
  const key = generateEncryptionKey();
  const json: KeygenJson = { id: options.id, key, entry: `${options.id}:${key}` };
  return { json, text: json.entry };
}

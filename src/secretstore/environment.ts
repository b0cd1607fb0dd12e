import { readSetting, type Environment } from '../database/config';
import type { EncryptionAlgorithm, KeyringOptions } from '../encryption/secret-codec';
import { parseEncryptionKeys, type EncryptionKey, type ParsedEncryptionKeys } from '../encryption/encryption-key';
import { triggerDevKeyFromText } from '../encryption/triggerdev-envelope';
import { InvalidArgumentError, SecretStoreConfigError } from '../errors';
import { actorArgument } from './lifecycle-arguments';

/** The keys the environment configures, each when its variable is set. */
export interface EnvironmentKeys {
  /** SECRETSTORE_ENCRYPTION_KEYS (`id:<base64>,…`, the first is active). */
  keyring?: ParsedEncryptionKeys;
  /** SECRETSTORE_TRIGGERDEV_ENCRYPTION_KEY, the legacy trigger.dev key. */
  legacyTriggerDevKey?: EncryptionKey;
  /** SECRETSTORE_ENCRYPTION_ALGORITHM: what new writes and rotation encrypt with. */
  algorithm?: EncryptionAlgorithm;
}

const ALGORITHMS: readonly EncryptionAlgorithm[] = ['aes-256-gcm', 'xchacha20-poly1305'];

/** SECRETSTORE_ENCRYPTION_KEYS, SECRETSTORE_TRIGGERDEV_ENCRYPTION_KEY and SECRETSTORE_ENCRYPTION_ALGORITHM, validated. */
export function readEnvironmentKeys(env: Environment): EnvironmentKeys {
  const spec = readSetting(env, 'SECRETSTORE_ENCRYPTION_KEYS');
  const legacy = readSetting(env, 'SECRETSTORE_TRIGGERDEV_ENCRYPTION_KEY');
  const algorithm = readSetting(env, 'SECRETSTORE_ENCRYPTION_ALGORITHM')?.trim();
  const keys: EnvironmentKeys = {};
  if (algorithm !== undefined) {
    if (!ALGORITHMS.includes(algorithm as EncryptionAlgorithm)) {
      throw new SecretStoreConfigError('SECRETSTORE_ENCRYPTION_ALGORITHM', `must be ${ALGORITHMS.join(' or ')}`);
    }
    keys.algorithm = algorithm as EncryptionAlgorithm;
  }
  if (spec !== undefined) keys.keyring = parseEncryptionKeys(spec);
  if (legacy !== undefined) {
    keys.legacyTriggerDevKey = triggerDevKeyFromText(legacy, 'SECRETSTORE_TRIGGERDEV_ENCRYPTION_KEY');
  }
  return keys;
}

/** A keyring with the environment's legacy trigger.dev key and algorithm, when it gives them. */
export function withLegacyKey(
  keyring: ParsedEncryptionKeys,
  { legacyTriggerDevKey, algorithm }: EnvironmentKeys,
): KeyringOptions {
  return {
    ...keyring,
    ...(legacyTriggerDevKey && { legacyTriggerDevKey }),
    ...(algorithm && { algorithm }),
  };
}

/** SECRETSTORE_PREPARED_STATEMENTS: `true` or `false` (`1` or `0`); undefined when unset. */
export function readPreparedStatements(env: Environment): boolean | undefined {
  const value = readSetting(env, 'SECRETSTORE_PREPARED_STATEMENTS')?.trim().toLowerCase();
  if (value === undefined) return undefined;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new SecretStoreConfigError('SECRETSTORE_PREPARED_STATEMENTS', 'must be true or false (or 1 or 0)');
}

/** SECRETSTORE_ACTOR: who the CLI's changes are attributed to in the audit trail; undefined when unset. */
export function readActor(env: Environment): string | undefined {
  const actor = readSetting(env, 'SECRETSTORE_ACTOR');
  try {
    return actorArgument(actor);
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw new SecretStoreConfigError('SECRETSTORE_ACTOR', error.problem);
    throw error;
  }
}

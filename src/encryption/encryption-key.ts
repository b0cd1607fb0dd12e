import { createHmac, createSecretKey, type KeyObject, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';

import { SecretStoreConfigError } from '../errors';

export const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const materials = new WeakMap<EncryptionKey, KeyObject>();

/**
 * A 32-byte AES-256 key. It never shows its bytes: util.inspect, JSON.stringify and String() all print
 * a placeholder, so an options object holding keys can be logged safely.
 */
export class EncryptionKey {
  private constructor(material: KeyObject) {
    materials.set(this, material);
  }

  /** `setting` names where the bytes came from, for the error message. */
  static fromBytes(bytes: Uint8Array, setting = 'encryption key'): EncryptionKey {
    if (!(bytes instanceof Uint8Array)) throw new SecretStoreConfigError(setting, 'must be 32 bytes (a Uint8Array)');
    if (bytes.length !== KEY_BYTES) {
      throw new SecretStoreConfigError(setting, `must be ${KEY_BYTES} bytes, not ${bytes.length}`);
    }
    return new EncryptionKey(createSecretKey(Buffer.from(bytes)));
  }

  static fromBase64(text: string, setting = 'encryption key'): EncryptionKey {
    const trimmed = typeof text === 'string' ? text.trim() : '';
    if (!trimmed || !BASE64.test(trimmed)) throw new SecretStoreConfigError(setting, 'is not valid base64');
    return EncryptionKey.fromBytes(Buffer.from(trimmed, 'base64'), setting);
  }

  /** A fresh random key. */
  static generate(): EncryptionKey {
    return new EncryptionKey(createSecretKey(randomBytes(KEY_BYTES)));
  }

  /** The key's bytes in base64, for storing it in SECRETSTORE_ENCRYPTION_KEYS. Handle with care. */
  exportBase64(): string {
    return keyObjectOf(this).export().toString('base64');
  }

  toString(): string {
    return 'EncryptionKey(<redacted>)';
  }

  toJSON(): string {
    return '<redacted>';
  }

  [inspect.custom](): string {
    return 'EncryptionKey(<redacted>)';
  }
}

export function keyObjectOf(key: EncryptionKey, setting = 'encryption key'): KeyObject {
  const material = materials.get(key);
  if (!material) throw new SecretStoreConfigError(setting, 'is not an EncryptionKey made by this package');
  return material;
}

/** A new random key in base64, the form SECRETSTORE_ENCRYPTION_KEYS takes after `id:`. */
export function generateEncryptionKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

export function assertKeyId(id: unknown, setting: string): asserts id is string {
  if (typeof id !== 'string' || !KEY_ID.test(id)) {
    throw new SecretStoreConfigError(setting, 'key ids are 1 to 64 characters of A-Z, a-z, 0-9, ".", "_" and "-"');
  }
}

export interface ParsedEncryptionKeys {
  keys: Record<string, EncryptionKey>;
  /** The first key of the list. */
  activeKeyId: string;
}

/**
 * Parses `id:<base64>,id:<base64>,…` (the form of SECRETSTORE_ENCRYPTION_KEYS); the first key is the active
 * one. Errors name the variable and the entry's id or position, never key material.
 */
export function parseEncryptionKeys(spec: string, setting = 'SECRETSTORE_ENCRYPTION_KEYS'): ParsedEncryptionKeys {
  if (typeof spec !== 'string') throw new SecretStoreConfigError(setting, 'is not set');
  const entries = spec
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  if (entries.length === 0) throw new SecretStoreConfigError(setting, 'holds no keys; expected id:<base64>,…');
  // A null prototype: an id such as "__proto__" stays an ordinary entry.
  const keys = Object.create(null) as Record<string, EncryptionKey>;
  const ids: string[] = [];
  entries.forEach((entry, index) => {
    const separator = entry.indexOf(':');
    if (separator <= 0) {
      throw new SecretStoreConfigError(setting, `entry ${index + 1} is not of the form id:<base64>`);
    }
    const id = entry.slice(0, separator);
    assertKeyId(id, `${setting} (entry ${index + 1})`);
    if (Object.hasOwn(keys, id)) throw new SecretStoreConfigError(setting, `key id "${id}" appears twice`);
    keys[id] = EncryptionKey.fromBase64(entry.slice(separator + 1), `${setting} (key "${id}")`);
    ids.push(id);
  });
  // Not Object.keys(keys)[0]: ids that look like integers would be listed first.
  return { keys, activeKeyId: ids[0] };
}

const FINGERPRINT_LABEL = '@kongflow/secretstore key fingerprint v1';

/** HMAC-SHA-256 of a fixed label under the key, in hex: equal for equal keys, and no help in finding the key. */
export function keyFingerprint(material: KeyObject): string {
  return createHmac('sha256', material).update(FINGERPRINT_LABEL).digest('hex');
}

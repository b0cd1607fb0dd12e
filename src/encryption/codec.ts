import { createCipheriv, createDecipheriv, createHmac, type KeyObject, randomBytes } from 'node:crypto';

import { SecretCorruptError, SecretDecryptionError, SecretStoreConfigError } from '../errors';
import { assertKeyId, EncryptionKey, keyObjectOf, KEY_BYTES } from './encryption-key';

/** How a row's value is encoded; the table's `encoding` column. */
export type SecretEncoding = 'plain' | 'aes-256-gcm' | 'triggerdev-v2';

/** A value as it is written to the table. */
export interface StoredValue {
  valueJson: string;
  encoding: SecretEncoding;
  /** The key id, for `aes-256-gcm` rows only. */
  keyId: string | null;
}

export interface KeyringOptions {
  /** 32-byte keys by id. Use EncryptionKey (from parseEncryptionKeys or EncryptionKey.fromBase64) to keep them out of logs. */
  keys: Record<string, EncryptionKey | Uint8Array>;
  /** The id of the key new writes are encrypted with. */
  activeKeyId: string;
  /**
   * trigger.dev's ENCRYPTION_KEY, to read rows imported from trigger.dev: its 32-byte UTF-8 string, or that
   * string's bytes as an EncryptionKey (which keeps it out of logs).
   */
  legacyTriggerDevKey?: string | EncryptionKey;
  /** Read `plain` rows (written before encryption was turned on). Default true; see the README's Security section. */
  acceptPlaintext?: boolean;
}

/** `'none'` stores plaintext JSONB and is only ever an explicit choice. */
export type EncryptionOptions = 'none' | KeyringOptions;

/** What the service needs: encode a value's JSON for storage, and decode a stored row back to JSON text. */
export interface SecretCodec {
  /** Whether stored JSON must also be valid as JSONB text (no \u0000, no unpaired surrogates). */
  readonly storesPlainJson: boolean;
  readonly activeKeyId: string | undefined;
  /** Whether every encoded value is unique to its write (a fresh random nonce), so that isSameWrite can tell. */
  readonly identifiesWrites: boolean;
  encode(key: string, json: string): StoredValue;
  decode(key: string, stored: StoredValue): string;
  /** True when `stored` (as read back) is the very value `written` that this codec encoded. */
  isSameWrite(stored: StoredValue, written: StoredValue): boolean;
  /** A fingerprint of each key of the keyring by id (empty without one): names a key without revealing it. */
  readonly keyFingerprints: ReadonlyMap<string, string>;
  describe(): Record<string, unknown>;
}

const ENVELOPE_VERSION = 1;
const ALGORITHM = 'aes-256-gcm';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const ENVELOPE_FIELDS = 5;
const FINGERPRINT_LABEL = '@kongflow/secretstore key fingerprint v1';

/** HMAC-SHA-256 of a fixed label under the key, in hex: equal for equal keys, and no help in finding the key. */
export function keyFingerprint(material: KeyObject): string {
  return createHmac('sha256', material).update(FINGERPRINT_LABEL).digest('hex');
}

/** Our envelope, stored as the JSONB value of an `aes-256-gcm` row. */
interface Envelope {
  v: number;
  kid: string;
  nonce: string;
  ct: string;
  tag: string;
}

/**
 * Binds a ciphertext to its row: moved to another key (or relabelled with another key id), it fails to
 * decrypt. The bytes are JSON.stringify(['@kongflow/secretstore', 1, keyId, key]), built from a prefix per key id.
 */
function additionalData(prefix: string, key: string): Buffer {
  return Buffer.from(`${prefix}${JSON.stringify(key)}]`, 'utf8');
}

function additionalDataPrefix(keyId: string): string {
  return `${JSON.stringify(['@kongflow/secretstore', ENVELOPE_VERSION, keyId]).slice(0, -1)},`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseObject(key: string, json: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new SecretCorruptError(key, `the ${what} is not JSON`);
  }
  if (!isRecord(value)) throw new SecretCorruptError(key, `the ${what} is not an object`);
  return value;
}

/**
 * The bytes of a base64 or hex field, from its canonical text only. Buffer.from skips what it cannot read and
 * takes URL-safe base64 and uppercase hex too: a base64 text must be as long as the bytes it yields and use the
 * standard alphabet; a hex text must be what those bytes encode to.
 */
function decodeBytes(key: string, value: unknown, field: string, encoding: 'base64' | 'hex'): Buffer {
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, encoding);
    const canonical =
      encoding === 'hex'
        ? bytes.toString('hex') === value
        : value.length === Math.ceil(bytes.length / 3) * 4 && !value.includes('-') && !value.includes('_');
    if (canonical) return bytes;
  }
  throw new SecretCorruptError(key, `the envelope's "${field}" is not ${encoding}`);
}

function decrypt(
  key: string,
  keyId: string | undefined,
  material: KeyObject,
  parts: { nonce: Buffer; ciphertext: Buffer; tag: Buffer },
  aad: Buffer | undefined,
): string {
  if (parts.nonce.length !== NONCE_BYTES) throw new SecretCorruptError(key, `the nonce is not ${NONCE_BYTES} bytes`);
  if (parts.tag.length !== TAG_BYTES) throw new SecretCorruptError(key, `the tag is not ${TAG_BYTES} bytes`);
  try {
    const decipher = createDecipheriv(ALGORITHM, material, parts.nonce, { authTagLength: TAG_BYTES });
    if (aad) decipher.setAAD(aad);
    decipher.setAuthTag(parts.tag);
    const plaintext = decipher.update(parts.ciphertext).toString('utf8');
    // GCM is a stream mode: final() returns no bytes, it only checks the tag.
    decipher.final();
    return plaintext;
  } catch {
    // node:crypto's message says nothing useful and the plaintext is never in it; still, keep no cause.
    throw new SecretDecryptionError(key, keyId, 'authentication failed (wrong key, or the row was altered or moved)');
  }
}

class PlaintextCodec implements SecretCodec {
  readonly storesPlainJson = true;
  readonly activeKeyId = undefined;
  // Two writes of one value are the same plaintext: a row cannot say which write it came from.
  readonly identifiesWrites = false;
  readonly keyFingerprints: ReadonlyMap<string, string> = new Map();

  isSameWrite(): boolean {
    return false;
  }

  encode(_key: string, json: string): StoredValue {
    return { valueJson: json, encoding: 'plain', keyId: null };
  }

  decode(key: string, stored: StoredValue): string {
    if (stored.encoding === 'plain') return stored.valueJson;
    if (stored.encoding !== 'aes-256-gcm' && stored.encoding !== 'triggerdev-v2') {
      throw new SecretCorruptError(key, 'the row has an unknown encoding');
    }
    throw new SecretDecryptionError(
      key,
      stored.keyId ?? undefined,
      `the row is encrypted (${stored.encoding}) and this store has no keyring`,
    );
  }

  describe(): Record<string, unknown> {
    return { encryption: 'none' };
  }
}

/**
 * Fresh random nonces, drawn from the CSPRNG a block at a time: one randomBytes call serves 512 writes. Each
 * nonce is its own 12 bytes of a block that is never written again, so no two writes share one.
 */
class NonceSource {
  private static readonly PER_BLOCK = 512;
  private block = Buffer.alloc(0);
  private offset = 0;

  next(): Buffer {
    if (this.offset + NONCE_BYTES > this.block.length) {
      this.block = randomBytes(NONCE_BYTES * NonceSource.PER_BLOCK);
      this.offset = 0;
    }
    const nonce = this.block.subarray(this.offset, this.offset + NONCE_BYTES);
    this.offset += NONCE_BYTES;
    return nonce;
  }
}

class AesGcmCodec implements SecretCodec {
  readonly storesPlainJson = false;
  readonly identifiesWrites = true;
  private readonly aadPrefixes = new Map<string, string>();
  private readonly nonces = new NonceSource();
  /** The start of every envelope this codec writes, up to its nonce: `{"v":1,"kid":"<active key id>",` */
  private readonly envelopeHead: string;
  readonly keyFingerprints: ReadonlyMap<string, string>;

  constructor(
    readonly activeKeyId: string,
    private readonly keys: ReadonlyMap<string, KeyObject>,
    private readonly triggerDevKey: KeyObject | undefined,
    private readonly acceptPlaintext: boolean,
  ) {
    for (const keyId of keys.keys()) this.aadPrefixes.set(keyId, additionalDataPrefix(keyId));
    this.keyFingerprints = new Map([...keys].map(([keyId, material]) => [keyId, keyFingerprint(material)]));
    this.envelopeHead = `{"v":${ENVELOPE_VERSION},"kid":${JSON.stringify(activeKeyId)},`;
  }

  private aad(keyId: string, key: string): Buffer {
    return additionalData(this.aadPrefixes.get(keyId) ?? additionalDataPrefix(keyId), key);
  }

  /** Envelopes compared field by field: read back, the JSONB text orders and spaces them differently. */
  isSameWrite(stored: StoredValue, written: StoredValue): boolean {
    if (stored.encoding !== 'aes-256-gcm' || written.encoding !== 'aes-256-gcm') return false;
    try {
      const a = JSON.parse(stored.valueJson) as Partial<Envelope>;
      const b = JSON.parse(written.valueJson) as Partial<Envelope>;
      return a.nonce === b.nonce && a.ct === b.ct && a.tag === b.tag && a.kid === b.kid && a.v === b.v;
    } catch {
      return false;
    }
  }

  encode(key: string, json: string): StoredValue {
    const material = this.keys.get(this.activeKeyId) as KeyObject;
    const nonce = this.nonces.next();
    const cipher = createCipheriv(ALGORITHM, material, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(this.aad(this.activeKeyId, key));
    // GCM is a stream mode: final() adds no bytes, it computes the tag.
    const ciphertext = cipher.update(json, 'utf8');
    cipher.final();
    const tag = cipher.getAuthTag();
    // JSON.stringify of { v, kid, nonce, ct, tag }, written out: base64 needs no escaping.
    const valueJson = `${this.envelopeHead}"nonce":"${nonce.toString('base64')}","ct":"${ciphertext.toString('base64')}","tag":"${tag.toString('base64')}"}`;
    return { valueJson, encoding: 'aes-256-gcm', keyId: this.activeKeyId };
  }

  decode(key: string, stored: StoredValue): string {
    switch (stored.encoding) {
      case 'aes-256-gcm':
        return this.decodeEnvelope(key, stored);
      case 'triggerdev-v2':
        return this.decodeTriggerDev(key, stored.valueJson);
      case 'plain':
        if (!this.acceptPlaintext) {
          throw new SecretDecryptionError(
            key,
            undefined,
            'the row is plaintext and this store does not accept plaintext rows',
          );
        }
        return stored.valueJson;
      default:
        throw new SecretCorruptError(key, 'the row has an unknown encoding');
    }
  }

  private decodeEnvelope(key: string, { valueJson, keyId }: StoredValue): string {
    const envelope = parseObject(key, valueJson, 'envelope');
    if (
      envelope.v !== ENVELOPE_VERSION ||
      typeof envelope.kid !== 'string' ||
      !('nonce' in envelope && 'ct' in envelope && 'tag' in envelope) ||
      Object.keys(envelope).length !== ENVELOPE_FIELDS
    ) {
      throw new SecretCorruptError(key, 'the envelope is malformed');
    }
    const material = this.keys.get(envelope.kid);
    if (!material) throw new SecretDecryptionError(key, envelope.kid, 'the key id is not in the keyring');
    // Rotation selects rows by the key_id column: a row whose column disagrees with its envelope was altered.
    if (envelope.kid !== keyId) {
      throw new SecretDecryptionError(key, envelope.kid, "the row's key_id column does not match its envelope");
    }
    const parts = {
      nonce: decodeBytes(key, envelope.nonce, 'nonce', 'base64'),
      ciphertext: decodeBytes(key, envelope.ct, 'ct', 'base64'),
      tag: decodeBytes(key, envelope.tag, 'tag', 'base64'),
    };
    return decrypt(key, envelope.kid, material, parts, this.aad(envelope.kid, key));
  }

  /** trigger.dev's version 2: `{ nonce, ciphertext, tag }` in lowercase hex, AES-256-GCM, no additional data. */
  private decodeTriggerDev(key: string, valueJson: string): string {
    if (!this.triggerDevKey) {
      throw new SecretDecryptionError(
        key,
        undefined,
        'the row comes from trigger.dev and no legacyTriggerDevKey is configured',
      );
    }
    const envelope = parseObject(key, valueJson, 'trigger.dev envelope');
    const parts = {
      nonce: decodeBytes(key, envelope.nonce, 'nonce', 'hex'),
      ciphertext: decodeBytes(key, envelope.ciphertext, 'ciphertext', 'hex'),
      tag: decodeBytes(key, envelope.tag, 'tag', 'hex'),
    };
    return decrypt(key, undefined, this.triggerDevKey, parts, undefined);
  }

  describe(): Record<string, unknown> {
    return {
      encryption: ALGORITHM,
      activeKeyId: this.activeKeyId,
      keyIds: [...this.keys.keys()],
      legacyTriggerDevKey: this.triggerDevKey ? '<configured>' : undefined,
      acceptPlaintext: this.acceptPlaintext,
    };
  }
}

function toKeyObject(value: unknown, setting: string): KeyObject {
  if (value instanceof EncryptionKey) return keyObjectOf(value, setting);
  if (value instanceof Uint8Array) return keyObjectOf(EncryptionKey.fromBytes(value, setting), setting);
  throw new SecretStoreConfigError(setting, 'must be an EncryptionKey or 32 bytes');
}

/** Validates the encryption options once, at construction, and returns the codec the store will use. */
export function createCodec(options: EncryptionOptions | undefined): SecretCodec {
  if (options === undefined) {
    throw new SecretStoreConfigError(
      'encryption',
      "is required: pass { keys, activeKeyId } (see parseEncryptionKeys) or, for development only, 'none'",
    );
  }
  if (options === 'none') return new PlaintextCodec();
  if (typeof options !== 'object' || options === null) {
    throw new SecretStoreConfigError('encryption', "must be { keys, activeKeyId } or 'none'");
  }
  const { keys, activeKeyId, legacyTriggerDevKey, acceptPlaintext = true } = options;
  if (typeof keys !== 'object' || keys === null)
    throw new SecretStoreConfigError('encryption.keys', 'must be an object of id → key');
  const keyring = new Map<string, KeyObject>();
  for (const id of Object.keys(keys)) {
    assertKeyId(id, 'encryption.keys');
    keyring.set(id, toKeyObject(keys[id], `encryption.keys["${id}"]`));
  }
  if (keyring.size === 0) throw new SecretStoreConfigError('encryption.keys', 'holds no keys');
  assertKeyId(activeKeyId, 'encryption.activeKeyId');
  if (!keyring.has(activeKeyId)) {
    throw new SecretStoreConfigError('encryption.activeKeyId', `"${activeKeyId}" is not one of the keyring's ids`);
  }
  let triggerDevKey: KeyObject | undefined;
  if (legacyTriggerDevKey instanceof EncryptionKey) {
    triggerDevKey = keyObjectOf(legacyTriggerDevKey, 'encryption.legacyTriggerDevKey');
  } else if (legacyTriggerDevKey !== undefined) {
    const bytes = typeof legacyTriggerDevKey === 'string' ? Buffer.from(legacyTriggerDevKey, 'utf8') : undefined;
    if (!bytes || bytes.length !== KEY_BYTES) {
      throw new SecretStoreConfigError(
        'encryption.legacyTriggerDevKey',
        `must be a string of ${KEY_BYTES} bytes in UTF-8`,
      );
    }
    triggerDevKey = keyObjectOf(EncryptionKey.fromBytes(bytes));
  }
  if (typeof acceptPlaintext !== 'boolean')
    throw new SecretStoreConfigError('encryption.acceptPlaintext', 'must be a boolean');
  return new AesGcmCodec(activeKeyId, keyring, triggerDevKey, acceptPlaintext);
}

import { createCipheriv, type KeyObject } from 'node:crypto';

import { SecretCorruptError, SecretDecryptionError } from '../errors';
import type { StoredValue } from '../secretstore/secret-record';
import { ALGORITHM, decrypt, TAG_BYTES } from './aes-gcm';
import { keyFingerprint } from './encryption-key';
import { decodeBytes, parseObject } from './envelope-fields';
import { NonceSource } from './nonce-source';
import type { KeyringDescription, SecretCodec } from './secret-codec';
import { decodeTriggerDevEnvelope } from './triggerdev-envelope';

const ENVELOPE_VERSION = 1;
const ENVELOPE_FIELDS = 5;

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

/**
 * This package's envelope, `{ v, kid, nonce, ct, tag }` as the JSONB value of an `aes-256-gcm` row, encrypted
 * under the active key with additional data that binds it to its key id and secret key. Reads rows of the other
 * encodings too: trigger.dev's (with its key) and plaintext (when accepted).
 */
export class AesGcmCodec implements SecretCodec {
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
        return decodeTriggerDevEnvelope(key, stored.valueJson, this.triggerDevKey);
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

  describe(): KeyringDescription {
    return {
      encryption: ALGORITHM,
      activeKeyId: this.activeKeyId,
      keyIds: [...this.keys.keys()],
      legacyTriggerDevKey: this.triggerDevKey !== undefined,
      acceptPlaintext: this.acceptPlaintext,
    };
  }
}

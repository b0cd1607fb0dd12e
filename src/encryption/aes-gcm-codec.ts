import { createCipheriv, type KeyObject } from 'node:crypto';

import { SecretCorruptError, SecretDecryptionError } from '../errors';
import type { StoredValue, WrittenValue } from '../secretstore/secret-record';
import { ALGORITHM, decrypt, TAG_BYTES } from './aes-gcm';
import { keyedAuditMac, type AuditMac } from './audit-mac';
import { keyFingerprint } from './encryption-key';
import { decodeBytes, parseObject } from './envelope-fields';
import { NonceSource } from './nonce-source';
import type { EncryptionAlgorithm, KeyringDescription, SecretCodec } from './secret-codec';
import { decodeTriggerDevEnvelope } from './triggerdev-envelope';
import {
  loadSodium,
  XCHACHA_ENCODING,
  type Sodium,
  xchachaKeyOf,
  xchachaOpen,
  xchachaSeal,
} from './xchacha20-poly1305';

/** Version 1 binds a ciphertext to its key id and secret key; version 2 also to the write that made it. */
const ENVELOPE_VERSION = 2;
/** Our envelope, the JSONB value of an `aes-256-gcm` or `xchacha20-poly1305` row: `{ v, kid, nonce, ct, tag }`. */
const ENVELOPE_FIELDS = 5;
const ADDITIONAL_DATA_LABEL = '@kongflow/secretstore';

/**
 * Binds a ciphertext to where it belongs: moved to another secret or another version, relabelled with another
 * key id, or passed off as another write, it fails to decrypt. Version 2 is
 * JSON.stringify(['@kongflow/secretstore', 2, keyId, key, writeId]); version 1 (rows written before versions
 * were kept) has no write id.
 */
function additionalData(envelopeVersion: number, keyId: string, key: string, writeId: string | null): Buffer {
  const fields =
    envelopeVersion === 1
      ? [ADDITIONAL_DATA_LABEL, 1, keyId, key]
      : [ADDITIONAL_DATA_LABEL, envelopeVersion, keyId, key, writeId];
  return Buffer.from(JSON.stringify(fields), 'utf8');
}

/**
 * The keyring's codec: writes AES-256-GCM (node:crypto) or XChaCha20-Poly1305 (sodium-native, under a key derived
 * from the keyring's) envelopes, as `algorithm` says, and reads both, trigger.dev's, and plaintext rows.
 */
export class AesGcmCodec implements SecretCodec {
  readonly storesPlainJson = false;
  private readonly nonces = new NonceSource();
  /** The start of every envelope this codec writes, up to its nonce: `{"v":2,"kid":"<active key id>",` */
  private readonly envelopeHead: string;
  readonly keyFingerprints: ReadonlyMap<string, string>;
  private readonly auditMacs: ReadonlyMap<string, AuditMac>;
  readonly auditMac: AuditMac;
  /** XChaCha20-Poly1305 keys by key id, derived on first use. */
  readonly #xchachaKeys = new Map<string, Buffer>();

  constructor(
    readonly activeKeyId: string,
    private readonly keys: ReadonlyMap<string, KeyObject>,
    private readonly triggerDevKey: KeyObject | undefined,
    private readonly acceptPlaintext: boolean,
    readonly algorithm: EncryptionAlgorithm = 'aes-256-gcm',
  ) {
    this.keyFingerprints = new Map([...keys].map(([keyId, material]) => [keyId, keyFingerprint(material)]));
    this.auditMacs = new Map([...keys].map(([keyId, material]) => [keyId, keyedAuditMac(keyId, material)]));
    this.auditMac = this.auditMacs.get(activeKeyId) as AuditMac;
    this.envelopeHead = `{"v":${ENVELOPE_VERSION},"kid":${JSON.stringify(activeKeyId)},`;
  }

  /** A record signed without a key could have been made by anyone who writes to the table: never accepted here. */
  auditMacFor(keyId: string | null): AuditMac | undefined {
    return keyId === null ? undefined : this.auditMacs.get(keyId);
  }

  get activeEncoding(): EncryptionAlgorithm {
    return this.algorithm;
  }

  private xchachaKey(keyId: string, material: KeyObject): Buffer {
    let derived = this.#xchachaKeys.get(keyId);
    if (derived === undefined) {
      derived = xchachaKeyOf(material);
      this.#xchachaKeys.set(keyId, derived);
    }
    return derived;
  }

  encode(key: string, json: string, writeId: string | null): StoredValue {
    if (this.algorithm === XCHACHA_ENCODING) return this.encodeXChaCha(key, json, writeId);
    const material = this.keys.get(this.activeKeyId) as KeyObject;
    const nonce = this.nonces.next();
    const cipher = createCipheriv(ALGORITHM, material, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(additionalData(ENVELOPE_VERSION, this.activeKeyId, key, writeId));
    // GCM is a stream mode: final() adds no bytes, it computes the tag.
    const ciphertext = cipher.update(json, 'utf8');
    cipher.final();
    const tag = cipher.getAuthTag();
    // JSON.stringify of { v, kid, nonce, ct, tag }, written out: base64 needs no escaping.
    const valueJson = `${this.envelopeHead}"nonce":"${nonce.toString('base64')}","ct":"${ciphertext.toString('base64')}","tag":"${tag.toString('base64')}"}`;
    return { valueJson, encoding: 'aes-256-gcm', keyId: this.activeKeyId };
  }

  /** The createCodec check made sure that sodium-native is there. */
  private encodeXChaCha(key: string, json: string, writeId: string | null): StoredValue {
    const material = this.keys.get(this.activeKeyId) as KeyObject;
    const sodium = loadSodium().library as Sodium;
    const aad = additionalData(ENVELOPE_VERSION, this.activeKeyId, key, writeId);
    const { nonce, ciphertext, tag } = xchachaSeal(sodium, this.xchachaKey(this.activeKeyId, material), json, aad);
    const valueJson = `${this.envelopeHead}"nonce":"${nonce.toString('base64')}","ct":"${ciphertext.toString('base64')}","tag":"${tag.toString('base64')}"}`;
    return { valueJson, encoding: XCHACHA_ENCODING, keyId: this.activeKeyId };
  }

  decode(key: string, stored: WrittenValue): string {
    switch (stored.encoding) {
      case 'aes-256-gcm':
      case XCHACHA_ENCODING:
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

  private decodeEnvelope(key: string, { valueJson, keyId, writeId, encoding }: WrittenValue): string {
    const envelope = parseObject(key, valueJson, 'envelope');
    if (
      (envelope.v !== 1 && envelope.v !== ENVELOPE_VERSION) ||
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
    const aad = additionalData(envelope.v, envelope.kid, key, writeId);
    if (encoding !== XCHACHA_ENCODING) return decrypt(key, envelope.kid, material, parts, aad);
    const { library: sodium, problem } = loadSodium();
    if (sodium === null)
      throw new SecretDecryptionError(key, envelope.kid, `the row is XChaCha20-Poly1305 and ${problem}`);
    return xchachaOpen(sodium, key, envelope.kid, this.xchachaKey(envelope.kid, material), parts, aad);
  }

  describe(): KeyringDescription {
    return {
      encryption: ALGORITHM,
      algorithm: this.algorithm,
      sodiumNative: loadSodium().library !== null,
      activeKeyId: this.activeKeyId,
      keyIds: [...this.keys.keys()],
      legacyTriggerDevKey: this.triggerDevKey !== undefined,
      acceptPlaintext: this.acceptPlaintext,
    };
  }
}

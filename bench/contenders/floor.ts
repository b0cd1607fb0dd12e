import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  type KeyObject,
  randomBytes,
  randomUUID,
} from 'node:crypto';

import { type Pool, type QueryResultRow } from 'pg';

import { type Contender, type Entry } from '../contender';
import { secretSchema, type SecretValue } from '../fixture';
import { ON_CONFLICT_UPDATE, prefixRange } from './columns';

const ALGORITHM = 'aes-256-gcm';
const TAG_BYTES = 16;
const NONCE_BYTES = 12;
/** The envelope version the store writes: its additional data binds the ciphertext to the write id too. */
const ENVELOPE_VERSION = 2;
const ADDITIONAL_DATA_LABEL = '@kongflow/secretstore';

/** Only what decryption needs: no dates, no version, no expiry (the store does not refuse expired reads by default). */
const READ_COLUMNS = 'key, value::text AS "valueJson", encoding, key_id AS "keyId", write_id AS "writeId"';
const LIVE = 'deleted_at IS NULL AND value IS NOT NULL';

const STATEMENTS = {
  get: `SELECT ${READ_COLUMNS} FROM secret_store WHERE key = $1 AND ${LIVE}`,
  listByPrefix: `SELECT ${READ_COLUMNS} FROM secret_store WHERE key >= $1 AND key < $2 AND ${LIVE} ORDER BY key`,
  getByKeys: `SELECT ${READ_COLUMNS} FROM secret_store WHERE key = ANY($1::text[]) AND ${LIVE} ORDER BY key`,
  upsert: `INSERT INTO secret_store (key, value, encoding, key_id, write_id)
VALUES ($1, $2::text::jsonb, 'aes-256-gcm', $3, $4)
${ON_CONFLICT_UPDATE} RETURNING version`,
  bulkSet: `INSERT INTO secret_store (key, value, encoding, key_id, write_id)
SELECT entry.key, entry.value_json::jsonb, 'aes-256-gcm', $3, entry.write_id
FROM unnest($1::text[], $2::text[], $4::text[]) AS entry (key, value_json, write_id)
${ON_CONFLICT_UPDATE} RETURNING key, version`,
};

interface FloorRow {
  key: string;
  valueJson: string;
  encoding: string;
  keyId: string | null;
  writeId: string | null;
}

interface Envelope {
  v: number;
  kid: string;
  nonce: string;
  ct: string;
  tag: string;
}

/** What binds a version-2 ciphertext to its key id, secret and write, exactly as the store builds it. */
function additionalData(keyId: string, key: string, writeId: string): Buffer {
  return Buffer.from(JSON.stringify([ADDITIONAL_DATA_LABEL, ENVELOPE_VERSION, keyId, key, writeId]), 'utf8');
}

/**
 * The floor for an encrypted store: raw pg (named prepared statements, as the store uses) reading the rows the
 * store wrote, opening the store's AES-256-GCM envelope with node:crypto directly, JSON.parse and zod. Writes
 * encrypt the same way and upsert with a fresh write id, the store's own envelope, readable by the store. No
 * history, no audit record, no retries, no errors of our own: what is left is what every encrypted store pays.
 */
export class FloorContender implements Contender {
  readonly id = 'floor';
  readonly name = 'floor';
  readonly decrypts = true;
  private readonly material: KeyObject;
  /** The envelope's start, up to its nonce, for the active key id. */
  private readonly envelopeHead: string;

  constructor(
    private readonly pool: Pool,
    private readonly keyId: string,
    keyBase64: string,
    private readonly writeValue: SecretValue,
  ) {
    this.material = createSecretKey(Buffer.from(keyBase64, 'base64'));
    this.envelopeHead = `{"v":${ENVELOPE_VERSION},"kid":${JSON.stringify(keyId)},`;
  }

  private query<R extends QueryResultRow>(statement: keyof typeof STATEMENTS, values: unknown[]) {
    return this.pool.query<R>({ name: `floor_${statement}`, text: STATEMENTS[statement], values });
  }

  private open(row: FloorRow): Entry {
    const envelope = JSON.parse(row.valueJson) as Envelope;
    if (row.encoding !== ALGORITHM || envelope.v !== ENVELOPE_VERSION || envelope.kid !== row.keyId || !row.writeId)
      throw new Error(`floor: ${row.key} is not a version-2 envelope under its key id`);
    if (envelope.kid !== this.keyId) throw new Error(`floor: ${row.key} is under another key`);
    const decipher = createDecipheriv(ALGORITHM, this.material, Buffer.from(envelope.nonce, 'base64'), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(additionalData(envelope.kid, row.key, row.writeId));
    decipher.setAuthTag(Buffer.from(envelope.tag, 'base64'));
    const plaintext = decipher.update(Buffer.from(envelope.ct, 'base64')).toString('utf8');
    decipher.final();
    return { key: row.key, value: secretSchema.parse(JSON.parse(plaintext)) };
  }

  private seal(key: string, writeId: string): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.material, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(additionalData(this.keyId, key, writeId));
    const ciphertext = cipher.update(JSON.stringify(this.writeValue), 'utf8');
    cipher.final();
    const tag = cipher.getAuthTag();
    return `${this.envelopeHead}"nonce":"${nonce.toString('base64')}","ct":"${ciphertext.toString('base64')}","tag":"${tag.toString('base64')}"}`;
  }

  async get(key: string): Promise<Entry | undefined> {
    const { rows } = await this.query<FloorRow>('get', [key]);
    return rows[0] && this.open(rows[0]);
  }

  async upsert(key: string): Promise<void> {
    const writeId = randomUUID();
    await this.query('upsert', [key, this.seal(key, writeId), this.keyId, writeId]);
  }

  async listByPrefix(prefix: string): Promise<Entry[]> {
    const { lowerBound, upperBound } = prefixRange(prefix);
    const { rows } = await this.query<FloorRow>('listByPrefix', [lowerBound, upperBound]);
    return rows.map((row) => this.open(row));
  }

  async getByKeys(keys: string[]): Promise<Entry[]> {
    const { rows } = await this.query<FloorRow>('getByKeys', [keys]);
    return rows.map((row) => this.open(row));
  }

  async bulkSet(keys: string[]): Promise<number> {
    const writeIds = keys.map(() => randomUUID());
    const envelopes = keys.map((key, index) => this.seal(key, writeIds[index]));
    const { rows } = await this.query('bulkSet', [keys, envelopes, this.keyId, writeIds]);
    return rows.length;
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

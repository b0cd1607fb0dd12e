import type { SecretCodec } from '../encryption/secret-codec';
import { SecretCorruptError } from '../errors';
import type { SecretValueRecord, WrittenValue } from './secret-record';
import { parseWithSchema, type SecretSchema } from './schema';

export interface SecretEntry<T> {
  key: string;
  value: T;
}

/** The record's plaintext JSON text and its value; throws if it cannot be decrypted or is not JSON. */
export function plaintextOf(
  codec: SecretCodec,
  record: WrittenValue & { key: string },
): { json: string; value: unknown } {
  const json = codec.decode(record.key, record);
  try {
    return { json, value: JSON.parse(json) };
  } catch {
    throw new SecretCorruptError(record.key, 'the stored value is not JSON');
  }
}

/** The record's value as `schema` outputs it: synchronous when the schema is. */
export function decodeRecord<T>(
  codec: SecretCodec,
  schema: SecretSchema<T>,
  record: SecretValueRecord,
): T | Promise<T> {
  return parseWithSchema(schema, record.key, plaintextOf(codec, record).value);
}

/**
 * Decodes in key order, so that the error thrown is the one of the first failing record. A synchronous schema
 * is applied synchronously (no turn of the event loop per record); the first asynchronous result switches to
 * awaiting each record.
 */
export function decodeRecords<T>(
  codec: SecretCodec,
  schema: SecretSchema<T>,
  records: SecretValueRecord[],
): SecretEntry<T>[] | Promise<SecretEntry<T>[]> {
  const entries = new Array<SecretEntry<T>>(records.length);
  for (let index = 0; index < records.length; index++) {
    const record = records[index];
    const value = decodeRecord(codec, schema, record);
    if (value instanceof Promise) return decodeRestAsync(codec, schema, records, entries, index, value);
    entries[index] = { key: record.key, value };
  }
  return entries;
}

async function decodeRestAsync<T>(
  codec: SecretCodec,
  schema: SecretSchema<T>,
  records: SecretValueRecord[],
  entries: SecretEntry<T>[],
  from: number,
  pending: Promise<T>,
): Promise<SecretEntry<T>[]> {
  entries[from] = { key: records[from].key, value: await pending };
  for (let index = from + 1; index < records.length; index++) {
    entries[index] = { key: records[index].key, value: await decodeRecord(codec, schema, records[index]) };
  }
  return entries;
}

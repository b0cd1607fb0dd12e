import { prefixUpperBound } from '../../src/secretstore/prefix-upper-bound';

/** The columns the library's GetSecret reads, so that every contender fetches the same bytes per row. */
export const SELECT_COLUMNS =
  'key, value::text AS "valueJson", encoding, key_id AS "keyId", version, created_at AS "createdAt", updated_at AS "updatedAt"';

/**
 * The library's upsert semantics: replace the value, bump the version, touch updated_at. Each write carries a
 * fresh write_id, as the store's do: a write without one is taken for a write around the store, which a
 * trigger copies into secret_versions, and would make the floor pay for history it does not keep.
 */
export const ON_CONFLICT_UPDATE = `ON CONFLICT (key) DO UPDATE
SET value = EXCLUDED.value, encoding = EXCLUDED.encoding, key_id = EXCLUDED.key_id, write_id = EXCLUDED.write_id,
    version = secret_store.version + 1, updated_at = now()`;

/** The key range of a prefix, as the library scans it (the bench prefixes always have an upper bound). */
export function prefixRange(prefix: string): { lowerBound: string; upperBound: string } {
  const upperBound = prefixUpperBound(prefix);
  if (upperBound === undefined) throw new Error(`prefix ${prefix} has no upper bound`);
  return { lowerBound: prefix, upperBound };
}

export interface SecretRow {
  key: string;
  valueJson: string;
  encoding: string;
  keyId: string | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

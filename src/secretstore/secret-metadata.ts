import { InvalidArgumentError } from '../errors';
import { isWholeNumber } from '../whole-number';
import type { SecretMetadataPatch } from './secret-record';
import { MAX_KEPT_VERSIONS } from './secret-store-options';

/** Metadata is for people and schedulers, not payloads: bounded so that a listing stays small. */
const METADATA_LIMITS = {
  descriptionCharacters: 1_000,
  tags: 64,
  tagNameCharacters: 128,
  tagValueCharacters: 512,
} as const;

const FIELDS: ReadonlySet<string> = new Set(['description', 'tags', 'expiresAt', 'rotateAfter', 'maxVersions']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function dateField(argument: string, value: unknown): Date | null {
  if (value === null) return null;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new InvalidArgumentError(argument, 'must be a valid Date, or null to remove it');
  }
  return new Date(value.getTime());
}

function tagsField(argument: string, value: unknown): Record<string, string | null> | null {
  if (value === null) return null;
  if (!isPlainObject(value)) throw new InvalidArgumentError(argument, 'must be an object of tag → string (or null)');
  const names = Object.keys(value);
  if (names.length > METADATA_LIMITS.tags) {
    throw new InvalidArgumentError(argument, `must hold at most ${METADATA_LIMITS.tags} tags`);
  }
  const tags: Record<string, string | null> = {};
  for (const name of names) {
    if (name.length === 0 || name.length > METADATA_LIMITS.tagNameCharacters) {
      throw new InvalidArgumentError(
        argument,
        `tag names must be 1 to ${METADATA_LIMITS.tagNameCharacters} characters`,
      );
    }
    const tag = value[name];
    if (tag !== null && (typeof tag !== 'string' || tag.length > METADATA_LIMITS.tagValueCharacters)) {
      throw new InvalidArgumentError(
        `${argument}[${JSON.stringify(name)}]`,
        `must be a string of at most ${METADATA_LIMITS.tagValueCharacters} characters, or null to remove the tag`,
      );
    }
    // defineProperty: a tag named __proto__ is a tag like any other.
    Object.defineProperty(tags, name, { value: tag, enumerable: true, writable: true, configurable: true });
  }
  return tags;
}

/**
 * A metadata patch as the caller gave it, validated and copied: JSON Merge Patch, where a field left out is
 * kept and `null` removes it (a tag set to null removes that tag). Anything else is InvalidArgumentError.
 */
export function toMetadataPatch(argument: string, patch: unknown): SecretMetadataPatch {
  if (!isPlainObject(patch)) throw new InvalidArgumentError(argument, 'must be an object');
  const unknown = Object.keys(patch).find((field) => !FIELDS.has(field));
  if (unknown !== undefined) {
    throw new InvalidArgumentError(argument, `has no field ${JSON.stringify(unknown)} (${[...FIELDS].join(', ')})`);
  }
  const result: SecretMetadataPatch = {};
  const { description, tags, expiresAt, rotateAfter, maxVersions } = patch;
  if (description !== undefined) {
    if (
      description !== null &&
      (typeof description !== 'string' || description.length > METADATA_LIMITS.descriptionCharacters)
    ) {
      throw new InvalidArgumentError(
        `${argument}.description`,
        `must be a string of at most ${METADATA_LIMITS.descriptionCharacters} characters, or null`,
      );
    }
    result.description = description;
  }
  if (tags !== undefined) result.tags = tagsField(`${argument}.tags`, tags);
  if (expiresAt !== undefined) result.expiresAt = dateField(`${argument}.expiresAt`, expiresAt);
  if (rotateAfter !== undefined) result.rotateAfter = dateField(`${argument}.rotateAfter`, rotateAfter);
  if (maxVersions !== undefined) {
    if (maxVersions !== null && !isWholeNumber(maxVersions, 1, MAX_KEPT_VERSIONS)) {
      throw new InvalidArgumentError(
        `${argument}.maxVersions`,
        `must be a whole number from 1 to ${MAX_KEPT_VERSIONS.toLocaleString('en-US')}, or null`,
      );
    }
    result.maxVersions = maxVersions;
  }
  return result;
}

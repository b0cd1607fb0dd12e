import type { Command } from 'commander';

import type { SecretMetadataPatch } from '../secretstore/secret-record';
import { collect, dateOrNone, expectedVersion, maxVersionsOrNone, NONE } from './option-values';
import { CliUsageError } from './usage-error';

/** The options that change a secret's metadata, shared by `meta` and `set`. */
export interface MetadataOptions {
  description?: string;
  /** `name=value`, each as given. */
  tag?: string[];
  untag?: string[];
  expiresAt?: Date | typeof NONE;
  rotateAfter?: Date | typeof NONE;
  maxVersions?: number | typeof NONE;
  ifVersion?: number;
}

/** Adds the metadata options, and --if-version, to `command`. */
export function addMetadataOptions(command: Command): Command {
  return command
    .option('--description <text>', 'what the secret is for ("" removes it)')
    .option('--tag <name=value>', 'set a tag (repeatable)', collect)
    .option('--untag <name>', 'remove a tag (repeatable)', collect)
    .option(
      '--expires-at <date>',
      'when the secret expires: an ISO date, or date and time with offset; none removes it',
      dateOrNone,
    )
    .option('--rotate-after <date>', 'when the secret should be rotated (as --expires-at); none removes it', dateOrNone)
    .option('--max-versions <n>', 'versions to keep, 1 to 1000; none for the store default', maxVersionsOrNone)
    .option(
      '--if-version <n>',
      'change only if the secret is at this version (0: only if it does not exist)',
      expectedVersion,
    );
}

/** The tags to merge: `--tag` sets, `--untag` removes (null); naming a tag in both is a mistake. */
function tagsPatch(tag: readonly string[], untag: readonly string[]): Record<string, string | null> {
  const tags: Record<string, string | null> = {};
  const put = (name: string, value: string | null): void => {
    if (Object.hasOwn(tags, name)) throw new CliUsageError('USAGE', `the tag ${JSON.stringify(name)} is given twice`);
    // Defined rather than assigned: a tag named __proto__ is a tag like any other.
    Object.defineProperty(tags, name, { value, enumerable: true, writable: true, configurable: true });
  };
  for (const assignment of tag) {
    const equals = assignment.indexOf('=');
    if (equals <= 0) throw new CliUsageError('USAGE', `--tag expects name=value, such as --tag team=payments`);
    put(assignment.slice(0, equals), assignment.slice(equals + 1));
  }
  for (const name of untag) put(name, null);
  return tags;
}

/**
 * The metadata change the options ask for, as one JSON Merge Patch; undefined when they ask for none. The
 * store checks the limits (lengths, number of tags) itself.
 */
export function metadataPatch(options: MetadataOptions): SecretMetadataPatch | undefined {
  const patch: SecretMetadataPatch = {};
  if (options.description !== undefined) patch.description = options.description === '' ? null : options.description;
  if (options.tag !== undefined || options.untag !== undefined)
    patch.tags = tagsPatch(options.tag ?? [], options.untag ?? []);
  // `none` removes the field: null in a merge patch.
  const orNull = <T>(value: T | typeof NONE): T | null => (value === NONE ? null : value);
  if (options.expiresAt !== undefined) patch.expiresAt = orNull(options.expiresAt);
  if (options.rotateAfter !== undefined) patch.rotateAfter = orNull(options.rotateAfter);
  if (options.maxVersions !== undefined) patch.maxVersions = orNull(options.maxVersions);
  return Object.keys(patch).length > 0 ? patch : undefined;
}

import { InvalidArgumentError } from '../errors';
import { integerArgument } from '../whole-number';
import type { AuditTrailHead } from './audit-trail';
import { assertValidKey, assertValidPrefix } from './key-names';

/** The largest version a secret can have: the column is a 32-bit integer. */
export const MAX_VERSION = 2_147_483_647;

/** A window in milliseconds (olderThan, within): up to about a thousand years. */
const MAX_WINDOW_MILLIS = 1000 * 366 * 24 * 60 * 60 * 1000;
const MAX_ACTOR_CHARACTERS = 256;
const DEFAULT_LIST_LIMIT = 1_000;
const MAX_LIST_LIMIT = 10_000;
const DEFAULT_AUDIT_PAGE = 1_000;

/** Who made a change, for the audit trail: an operation's `actor` option, or store.withActor's. */
export interface ActorOption {
  /** A user, service or job name, 1 to 256 characters. Default: withActor's, else none. */
  actor?: string;
}

/** The options object of a call: undefined when left out, else an object, or InvalidArgumentError. */
export function optionsObject<T extends object>(argument: string, options: T | undefined): Partial<T> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(argument, 'must be an object');
  }
  return options;
}

export function actorArgument(actor: unknown): string | undefined {
  if (actor === undefined) return undefined;
  if (typeof actor !== 'string' || actor.length === 0 || actor.length > MAX_ACTOR_CHARACTERS) {
    throw new InvalidArgumentError('actor', `must be a string of 1 to ${MAX_ACTOR_CHARACTERS} characters`);
  }
  return actor;
}

export function versionArgument(argument: string, version: unknown): number {
  return integerArgument(argument, version, 1, MAX_VERSION);
}

export function ifVersionArgument(ifVersion: unknown): number | undefined {
  return ifVersion === undefined ? undefined : integerArgument('ifVersion', ifVersion, 0, MAX_VERSION);
}

export function windowArgument(argument: string, millis: unknown): number {
  return integerArgument(argument, millis, 0, MAX_WINDOW_MILLIS);
}

/** The versions to destroy: undefined for all; else a non-empty array of versions, ascending and distinct. */
export function versionsArgument(versions: unknown): number[] | undefined {
  if (versions === undefined) return undefined;
  if (!Array.isArray(versions) || versions.length === 0) {
    throw new InvalidArgumentError('versions', 'must be a non-empty array of versions (leave it out to destroy all)');
  }
  const checked = versions.map((version: unknown, index) => versionArgument(`versions[${index}]`, version));
  return [...new Set(checked)].sort((a, b) => a - b);
}

export interface ListSecretsOptions {
  /** Only keys that start with this (literally). Default: every key. */
  prefix?: string;
  /** Start after this key: the `next` of the page before. */
  after?: string;
  /** Secrets per page, from 1 to 10,000. Default 1,000. */
  limit?: number;
  /** List deleted secrets too (their `deletedAt` is set). Default false. */
  includeDeleted?: boolean;
}

export function listSecretsArguments(options: ListSecretsOptions | undefined): Required<ListSecretsOptions> {
  const {
    prefix = '',
    after = '',
    limit = DEFAULT_LIST_LIMIT,
    includeDeleted = false,
  } = optionsObject('options', options);
  assertValidPrefix(prefix);
  if (after !== '') assertValidKey(after);
  if (typeof includeDeleted !== 'boolean') throw new InvalidArgumentError('includeDeleted', 'must be a boolean');
  return { prefix, after, limit: integerArgument('limit', limit, 1, MAX_LIST_LIMIT), includeDeleted };
}

export interface ReadAuditTrailOptions {
  /** Only the records of this secret. */
  key?: string;
  /** Start after this position: the `next` of the page before. */
  after?: number;
  /** Records per page, from 1 to 10,000. Default 1,000. */
  limit?: number;
}

export function readAuditTrailArguments(options: ReadAuditTrailOptions | undefined): {
  key: string | undefined;
  after: number;
  limit: number;
} {
  const { key, after = 0, limit = DEFAULT_AUDIT_PAGE } = optionsObject('options', options);
  if (key !== undefined) assertValidKey(key);
  return {
    key,
    after: integerArgument('after', after, 0, Number.MAX_SAFE_INTEGER),
    limit: integerArgument('limit', limit, 1, MAX_LIST_LIMIT),
  };
}

export function headArgument(head: unknown): AuditTrailHead | undefined {
  if (head === undefined) return undefined;
  const { checkpoint, records, digest } = optionsObject('head', head as AuditTrailHead);
  integerArgument('head.checkpoint', checkpoint, 0, Number.MAX_SAFE_INTEGER);
  integerArgument('head.records', records, 0, Number.MAX_SAFE_INTEGER);
  if (typeof digest !== 'string')
    throw new InvalidArgumentError('head.digest', 'must be the digest sealAuditTrail gave');
  return { checkpoint: checkpoint as number, records: records as number, digest };
}

import type { StoreLocation } from '../database/database-target';
import type { ReplicaStatus } from '../database/replicated-database';
import { createCodec, type SecretCodec } from '../encryption/secret-codec';
import { positiveInteger } from '../whole-number';
import type { JsonValueLimits } from './json-value';
import { KeyFingerprintCheck } from './key-fingerprint-check';
import { NO_RETRY, retryPolicy, type RetryPolicy } from './retry-policy';
import { cacheSettings, type SecretCacheOptions } from './secret-cache';
import { SecretStoreConfigError } from '../errors';
import {
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_VALUE_BYTES,
  DEFAULT_MAX_VERSIONS,
  MAX_KEPT_VERSIONS,
  type SecretStoreOptions,
} from './secret-store-options';
import { StoreTelemetry } from './telemetry';

/** What a store does about versions, expiry and reads, beyond storing values. */
export interface LifecyclePolicy {
  maxVersions: number;
  rejectExpired: boolean;
  auditReads: boolean;
}

function booleanSetting(setting: string, value: boolean | undefined): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new SecretStoreConfigError(setting, 'must be a boolean');
  return value;
}

/** Shared by the stores of one transaction: whether that transaction is still running, and what it changed. */
export interface TransactionScope {
  open: boolean;
  /** Keys the transaction wrote, or 'all' when it wrote keys it does not know (a purge): the cache drops them after. */
  touched: Set<string> | 'all';
}

/** What createSecretStore opened for a store: it releases it on close, and says where it is. */
export interface OwnedResources {
  location: StoreLocation;
  release?: () => Promise<void>;
  /** The replicas reads go to, as last checked (a store made with `replicas`). */
  replicas?: () => ReplicaStatus[];
}

/**
 * Everything a SecretStore works with but its repository: the validated settings and the collaborators built
 * from them once. A transaction's store gets the same codec, limits and key check, its own telemetry context,
 * no retries, and the transaction's scope.
 */
export class StoreCore {
  private constructor(
    readonly codec: SecretCodec,
    readonly limits: JsonValueLimits,
    readonly lifecycle: LifecyclePolicy,
    readonly telemetry: StoreTelemetry,
    readonly retry: RetryPolicy,
    readonly keyCheck: KeyFingerprintCheck,
    readonly location: StoreLocation | undefined,
    private release: (() => Promise<void>) | undefined,
    /** Set on a transaction's store only. */
    readonly scope: TransactionScope | undefined,
    /** The cache's settings; never set on a transaction's store, which reads and writes past it. */
    readonly cache: Required<SecretCacheOptions> | undefined,
    readonly replicas: (() => ReplicaStatus[]) | undefined,
  ) {}

  /** Validates `options` once, at construction: every configuration error is thrown here. */
  static fromOptions(options: SecretStoreOptions, owned?: OwnedResources): StoreCore {
    const codec = createCodec(options.encryption);
    const limits: JsonValueLimits = {
      maxValueBytes: positiveInteger('maxValueBytes', options.maxValueBytes, DEFAULT_MAX_VALUE_BYTES),
      maxDepth: positiveInteger('maxDepth', options.maxDepth, DEFAULT_MAX_DEPTH),
      jsonbStrings: codec.storesPlainJson,
    };
    const maxVersions = positiveInteger('maxVersions', options.maxVersions, DEFAULT_MAX_VERSIONS);
    if (maxVersions > MAX_KEPT_VERSIONS) {
      throw new SecretStoreConfigError('maxVersions', `must be at most ${MAX_KEPT_VERSIONS.toLocaleString('en-US')}`);
    }
    const lifecycle: LifecyclePolicy = {
      maxVersions,
      rejectExpired: booleanSetting('rejectExpired', options.rejectExpired),
      auditReads: booleanSetting('auditReads', options.auditReads),
    };
    return new StoreCore(
      codec,
      limits,
      lifecycle,
      StoreTelemetry.create(options.telemetry, options.logger),
      retryPolicy(options.retry),
      new KeyFingerprintCheck(codec.keyFingerprints, codec.activeKeyId),
      owned?.location,
      owned?.release,
      undefined,
      cacheSettings(options.cache),
      owned?.replicas,
    );
  }

  forTransaction(telemetry: StoreTelemetry, scope: TransactionScope): StoreCore {
    const { codec, limits, lifecycle, keyCheck, location } = this;
    return new StoreCore(
      codec,
      limits,
      lifecycle,
      telemetry,
      NO_RETRY,
      keyCheck,
      location,
      undefined,
      scope,
      undefined,
      undefined,
    );
  }

  get inTransaction(): boolean {
    return this.scope !== undefined;
  }

  /** A transaction's store whose transaction has ended. */
  get closed(): boolean {
    return this.scope !== undefined && !this.scope.open;
  }

  /** Releases what the store owns, once; a handle the application passed in is never among it. */
  async releaseOwned(): Promise<void> {
    const release = this.release;
    this.release = undefined;
    await release?.();
  }
}

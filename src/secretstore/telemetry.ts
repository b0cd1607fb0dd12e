import type { ReplicaSkipReason, ReplicaState } from '../database/replicated-database';
import {
  context,
  metrics,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Counter,
  type Histogram,
  type MeterProvider,
  type Span,
  type SpanOptions,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';

import { SecretStoreError } from '../errors';
import type { SecretStoreLogger } from '../logger';

/** Where the store's spans and duration metric go. Left out: the global providers, no-ops until an SDK registers. */
export interface SecretStoreTelemetryOptions {
  tracerProvider?: TracerProvider;
  meterProvider?: MeterProvider;
}

const OPERATIONS = [
  'getSecret',
  'getSecretOrThrow',
  'getSecretWithMetadata',
  'setSecret',
  'setSecrets',
  'deleteSecret',
  'undeleteSecret',
  'destroySecret',
  'purgeDeletedSecrets',
  'getSecrets',
  'getSecretsByKeys',
  'getSecretVersion',
  'listSecretVersions',
  'restoreSecretVersion',
  'getSecretMetadata',
  'updateSecretMetadata',
  'listSecrets',
  'listSecretsDue',
  'readAuditTrail',
  'verifyAuditTrail',
  'sealAuditTrail',
  'encryptionUsage',
  'checkEncryptionKeys',
  'rotateEncryptionKeys',
  'transaction',
] as const;

export type SecretStoreOperation = (typeof OPERATIONS)[number];

/**
 * `error` when the operation threw (getSecretOrThrow's SecretNotFoundError included); `not_found` when it
 * resolved but the key did not exist (getSecret returned undefined, deleteSecret returned false); else `ok`.
 */
export type SecretStoreOutcome = 'ok' | 'not_found' | 'error';

type ResolvedOutcome = Exclude<SecretStoreOutcome, 'error'>;

/** Instrumentation scope. The version is checked against package.json by a unit test. */
export const INSTRUMENTATION_SCOPE = '@kongflow/secretstore';
export const INSTRUMENTATION_VERSION = '0.1.0';

const OPERATION_DURATION_METRIC = 'secretstore.operation.duration';
const EXPIRED_READS_METRIC = 'secretstore.expired_reads';
const CACHE_LOOKUPS_METRIC = 'secretstore.cache.lookups';
const REPLICA_SKIPS_METRIC = 'secretstore.replica.skipped';
const ATTR_REPLICA = 'secretstore.replica';
const ATTR_REPLICA_SKIP_REASON = 'secretstore.replica.skip_reason';
const ATTR_CACHE_RESULT = 'secretstore.cache.result';
const ATTR_OPERATION = 'secretstore.operation';
const ATTR_OUTCOME = 'secretstore.outcome';
/** The SecretStoreError `code`, or `_OTHER` for an error the store did not raise (OpenTelemetry's `error.type`). */
const ATTR_ERROR_TYPE = 'error.type';
const ATTR_RESULT_COUNT = 'secretstore.result.count';
const ATTR_ROTATION_SCANNED = 'secretstore.rotation.scanned';
const ATTR_ROTATION_RE_ENCRYPTED = 'secretstore.rotation.re_encrypted';
const ATTR_ROTATION_SKIPPED = 'secretstore.rotation.skipped';
const ATTR_ROTATION_FAILED = 'secretstore.rotation.failed';

const OTHER_ERROR = '_OTHER';

/** Bucket boundaries in seconds, from a millisecond lookup to a long key rotation. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** What a result says about the operation: its outcome, and counts set on its span. Never values, never keys. */
export type ResultSummary<T> = (result: T, span: Span) => ResolvedOutcome;

export const foundOrNot: ResultSummary<unknown> = (value) => (value === undefined ? 'not_found' : 'ok');

export const deletedOrNot: ResultSummary<boolean> = (deleted) => (deleted ? 'ok' : 'not_found');

export const countResults: ResultSummary<readonly unknown[]> = (results, span) => {
  span.setAttribute(ATTR_RESULT_COUNT, results.length);
  return 'ok';
};

export const summarizeRotation: ResultSummary<{
  scanned: number;
  reEncrypted: number;
  skipped: number;
  failed: readonly unknown[];
}> = (result, span) => {
  span.setAttribute(ATTR_ROTATION_SCANNED, result.scanned);
  span.setAttribute(ATTR_ROTATION_RE_ENCRYPTED, result.reEncrypted);
  span.setAttribute(ATTR_ROTATION_SKIPPED, result.skipped);
  span.setAttribute(ATTR_ROTATION_FAILED, result.failed.length);
  return 'ok';
};

/** What is fixed per operation, built once so that a call allocates no attributes of its own unless it fails. */
interface OperationDescriptor {
  operation: SecretStoreOperation;
  spanName: string;
  spanOptions: SpanOptions;
  metricAttributes: Record<ResolvedOutcome, Attributes>;
  cacheAttributes: Record<CacheLookupResult, Attributes>;
}

type CacheLookupResult = 'hit' | 'miss' | 'stale';

const descriptors = Object.fromEntries(
  OPERATIONS.map((operation): [SecretStoreOperation, OperationDescriptor] => [
    operation,
    {
      operation,
      spanName: `secretstore.${operation}`,
      spanOptions: { kind: SpanKind.INTERNAL, attributes: { [ATTR_OPERATION]: operation } },
      metricAttributes: {
        ok: { [ATTR_OPERATION]: operation, [ATTR_OUTCOME]: 'ok' },
        not_found: { [ATTR_OPERATION]: operation, [ATTR_OUTCOME]: 'not_found' },
      },
      cacheAttributes: {
        hit: { [ATTR_OPERATION]: operation, [ATTR_CACHE_RESULT]: 'hit' },
        miss: { [ATTR_OPERATION]: operation, [ATTR_CACHE_RESULT]: 'miss' },
        stale: { [ATTR_OPERATION]: operation, [ATTR_CACHE_RESULT]: 'stale' },
      },
    },
  ]),
) as Record<SecretStoreOperation, OperationDescriptor>;

/** The store's instruments, re-created when the global meter provider changes (the metrics API has no proxy). */
class StoreMetrics {
  private provider: MeterProvider | undefined;
  private instruments:
    { durations: Histogram; expiredReads: Counter; cacheLookups: Counter; replicaSkips: Counter } | undefined;

  constructor(private readonly injected: MeterProvider | undefined) {}

  private current(): { durations: Histogram; expiredReads: Counter; cacheLookups: Counter; replicaSkips: Counter } {
    const provider = this.injected ?? metrics.getMeterProvider();
    if (provider !== this.provider || this.instruments === undefined) {
      this.provider = provider;
      const meter = provider.getMeter(INSTRUMENTATION_SCOPE, INSTRUMENTATION_VERSION);
      this.instruments = {
        durations: meter.createHistogram(OPERATION_DURATION_METRIC, {
          description: 'Duration of secret store operations',
          unit: 's',
          advice: { explicitBucketBoundaries: DURATION_BUCKETS },
        }),
        expiredReads: meter.createCounter(EXPIRED_READS_METRIC, {
          description: 'Secrets read after their expiresAt',
          unit: '{secret}',
        }),
        cacheLookups: meter.createCounter(CACHE_LOOKUPS_METRIC, {
          description:
            'Keys and listings looked up in the cache: hit, miss, or stale (served while the database could not be reached)',
          unit: '{lookup}',
        }),
        replicaSkips: meter.createCounter(REPLICA_SKIPS_METRIC, {
          description:
            "Reads a replica did not serve, sent to the primary: it was down, lagged beyond maxReplicaLagMillis, or had not replayed this store's last write",
          unit: '{read}',
        }),
      };
    }
    return this.instruments;
  }

  recordDuration(seconds: number, attributes: Attributes): void {
    this.current().durations.record(seconds, attributes);
  }

  countExpiredReads(count: number, attributes: Attributes): void {
    this.current().expiredReads.add(count, attributes);
  }

  countCacheLookups(count: number, attributes: Attributes): void {
    this.current().cacheLookups.add(count, attributes);
  }

  countReplicaSkip(attributes: Attributes): void {
    this.current().replicaSkips.add(1, attributes);
  }
}

/** The error as telemetry may carry it: a SecretStoreError's code, name and message (which never quote values); nothing of others. */
function describeError(error: unknown): { type: string; name: string; message: string } | undefined {
  return error instanceof SecretStoreError ? { type: error.code, name: error.name, message: error.message } : undefined;
}

/**
 * Spans, the duration histogram and debug logs of the store's operations. A store in a transaction uses
 * `inTransaction`, so that its operations are children of the transaction span even without a context manager.
 */
export class StoreTelemetry {
  private constructor(
    private readonly tracer: Tracer,
    private readonly metrics: StoreMetrics,
    private readonly logger: SecretStoreLogger | undefined,
    /** The transaction span's context, for a store inside a transaction. */
    private readonly transactionContext: Context | undefined,
  ) {}

  static create(options: SecretStoreTelemetryOptions = {}, logger?: SecretStoreLogger): StoreTelemetry {
    const tracer = (options.tracerProvider ?? trace).getTracer(INSTRUMENTATION_SCOPE, INSTRUMENTATION_VERSION);
    return new StoreTelemetry(tracer, new StoreMetrics(options.meterProvider), logger, undefined);
  }

  /** The same telemetry, parenting operations on `transaction` when no span is active. */
  inTransaction(transaction: Context): StoreTelemetry {
    return new StoreTelemetry(this.tracer, this.metrics, this.logger, transaction);
  }

  /**
   * Runs `work` as one operation: a span (active while it runs; `work` gets its context), a duration and a
   * debug line. `summarize` derives the outcome and counts from the result; without it the outcome is `ok`.
   */
  instrument<T>(
    operation: SecretStoreOperation,
    work: (operationContext: Context) => Promise<T>,
    summarize?: ResultSummary<T>,
  ): Promise<T> {
    const descriptor = descriptors[operation];
    const started = performance.now();
    const parent = this.parentContext();
    const span = this.tracer.startSpan(descriptor.spanName, descriptor.spanOptions, parent);
    const operationContext = trace.setSpan(parent, span);
    return context.with(operationContext, async () => {
      let result: T;
      try {
        result = await work(operationContext);
      } catch (error) {
        this.fail(descriptor, started, span, error);
        throw error;
      }
      const outcome = summarize ? summarize(result, span) : 'ok';
      span.setAttribute(ATTR_OUTCOME, outcome);
      span.end();
      this.finish(descriptor, started, outcome, descriptor.metricAttributes[outcome], undefined);
      return result;
    });
  }

  /**
   * Runs an operation the cache answers as one operation too: its span (marked as a cache hit), duration and
   * debug line, without making its span the active context (nothing it runs starts spans of its own) or a
   * turn of the event loop when `work` is synchronous.
   */
  instrumentCacheHit<T>(
    operation: SecretStoreOperation,
    work: () => T | Promise<T>,
    summarize?: ResultSummary<T>,
    lookups = 1,
  ): Promise<T> {
    const descriptor = descriptors[operation];
    const started = performance.now();
    const span = this.tracer.startSpan(descriptor.spanName, descriptor.spanOptions, this.parentContext());
    span.setAttribute(ATTR_CACHE_RESULT, 'hit');
    this.metrics.countCacheLookups(lookups, descriptor.cacheAttributes.hit);
    let result: T | Promise<T>;
    try {
      result = work();
    } catch (error) {
      this.fail(descriptor, started, span, error);
      // Thrown in the executor, it rejects the promise.
      return new Promise<T>(() => {
        throw error;
      });
    }
    if (!(result instanceof Promise))
      return Promise.resolve(this.succeed(descriptor, started, span, result, summarize));
    return result.then(
      (value) => this.succeed(descriptor, started, span, value, summarize),
      (error: unknown) => {
        this.fail(descriptor, started, span, error);
        throw error;
      },
    );
  }

  private succeed<T>(
    descriptor: OperationDescriptor,
    started: number,
    span: Span,
    result: T,
    summarize: ResultSummary<T> | undefined,
  ): T {
    const outcome = summarize ? summarize(result, span) : 'ok';
    span.setAttribute(ATTR_OUTCOME, outcome);
    span.end();
    this.finish(descriptor, started, outcome, descriptor.metricAttributes[outcome], undefined);
    return result;
  }

  /**
   * Counts reads of secrets past their expiresAt, served or refused (rejectExpired): a metric, not a log line,
   * since a service that reads an expired secret reads it on every request.
   */
  expiredRead(operation: SecretStoreOperation, count: number, refused: boolean): void {
    this.metrics.countExpiredReads(count, { [ATTR_OPERATION]: operation, [ATTR_OUTCOME]: refused ? 'error' : 'ok' });
  }

  /** Counts cache lookups of an operation by what they found. */
  cacheLookups(operation: SecretStoreOperation, result: CacheLookupResult, count = 1): void {
    if (count > 0) this.metrics.countCacheLookups(count, descriptors[operation].cacheAttributes[result]);
  }

  /** Counts a read a replica did not serve (the primary did), by replica and reason. */
  replicaSkipped(location: string, reason: ReplicaSkipReason): void {
    this.metrics.countReplicaSkip({ [ATTR_REPLICA]: location, [ATTR_REPLICA_SKIP_REASON]: reason });
  }

  /** Tells that a replica went down, fell behind, or serves reads again. */
  replicaStateChanged(location: string, state: ReplicaState, reason: string | undefined): void {
    const fields = { event: 'replica-state', replica: location, state, reason };
    if (state === 'up') this.logger?.info?.(fields, `secretstore replica ${location} serves reads`);
    else this.logger?.warn?.(fields, `secretstore replica ${location} is ${state}: its reads go to the primary`);
  }

  /** Warns that changes are no longer heard: the cache is bypassed (and watchers will get a resync) until they are. */
  changesLost(error: Error): void {
    this.logger?.warn?.(
      { event: 'changes-lost', reason: error.message },
      'secretstore stopped hearing changes: a cache is bypassed, and watchers get a resync, once they are heard again',
    );
  }

  /** Tells that changes are heard (again). */
  changesHeard(): void {
    this.logger?.info?.({ event: 'changes-heard' }, 'secretstore hears changes');
  }

  /** Warns of a watch listener that threw: the feed goes on. */
  watchListenerFailed(error: unknown): void {
    this.logger?.warn?.(
      { event: 'watch-listener-failed', error: error instanceof Error ? error.name : typeof error },
      'secretstore.watch listener threw; the change feed goes on',
    );
  }

  /** Warns of a row rotation leaves as it is (it cannot be read, or stayed locked): its key (keys are not secret) and code. */
  rotationFailure(key: string, code: string): void {
    this.logger?.warn?.(
      { operation: 'rotateEncryptionKeys', key, code },
      'secretstore.rotateEncryptionKeys left a secret under its old key',
    );
  }

  private parentContext(): Context {
    const active = context.active();
    if (this.transactionContext === undefined || trace.getSpan(active) !== undefined) return active;
    return this.transactionContext;
  }

  private fail(descriptor: OperationDescriptor, started: number, span: Span, error: unknown): void {
    const described = describeError(error);
    const type = described?.type ?? OTHER_ERROR;
    span.setAttribute(ATTR_OUTCOME, 'error');
    span.setAttribute(ATTR_ERROR_TYPE, type);
    if (described) {
      span.recordException({ name: described.name, message: described.message });
      span.setStatus({ code: SpanStatusCode.ERROR, message: `${described.type}: ${described.message}` });
    } else {
      span.setStatus({ code: SpanStatusCode.ERROR, message: `${OTHER_ERROR}: not raised by the secret store` });
    }
    span.end();
    const attributes = { [ATTR_OPERATION]: descriptor.operation, [ATTR_OUTCOME]: 'error', [ATTR_ERROR_TYPE]: type };
    this.finish(descriptor, started, 'error', attributes, type);
  }

  private finish(
    descriptor: OperationDescriptor,
    started: number,
    outcome: SecretStoreOutcome,
    attributes: Attributes,
    errorType: string | undefined,
  ): void {
    const milliseconds = performance.now() - started;
    this.metrics.recordDuration(milliseconds / 1000, attributes);
    if (this.logger?.debug) {
      const fields: Record<string, unknown> = {
        operation: descriptor.operation,
        outcome,
        durationMs: Math.round(milliseconds * 1000) / 1000,
      };
      if (errorType !== undefined) fields.code = errorType;
      this.logger.debug(fields, `secretstore.${descriptor.operation} ${outcome}`);
    }
  }
}

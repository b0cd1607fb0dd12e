/**
 * Observability on the real stack: one span and one duration per operation, with outcome, error code and
 * counts but never a value; transaction children; the optional logger; silence and no-ops by default.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';

import {
  context,
  metrics,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type ContextManager,
} from '@opentelemetry/api';
import {
  DataPointType,
  MeterProvider,
  MetricReader,
  type DataPoint,
  type Histogram,
  type HistogramMetricData,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { z } from 'zod';

import {
  anyJson,
  createSecretStore,
  parseEncryptionKeys,
  PostgresSecretStoreRepository,
  SecretStore,
  generateEncryptionKey,
  type SecretStoreLogger,
  type SecretStoreOptions,
  type SecretStoreRepository,
} from '../../src';
import { useTestDatabase } from '../harness/database';
import { captureOutput } from '../support/capture-output';
import { testKeyring } from '../support/test-keyring';

const testDatabase = useTestDatabase();
const encryption = testKeyring();

/** A reader the test collects from when it wants, instead of on a timer. */
class OnDemandMetricReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  message: string;
}

function recordingLogger(): { logger: SecretStoreLogger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine['level']) =>
    (fields: Record<string, unknown>, message: string): void => {
      lines.push({ level, fields, message });
    };
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

interface Observed {
  tracerProvider: BasicTracerProvider;
  meterProvider: MeterProvider;
  spans(): ReadableSpan[];
  /** Data points of secretstore.operation.duration, by `operation outcome[ error.type]`. */
  durations(): Promise<Map<string, DataPoint<Histogram>>>;
  durationMetric(): Promise<HistogramMetricData | undefined>;
  logger: SecretStoreLogger;
  lines: LogLine[];
}

function observe(): Observed {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const reader = new OnDemandMetricReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const { logger, lines } = recordingLogger();
  const durationMetric = async (): Promise<HistogramMetricData | undefined> => {
    const { resourceMetrics, errors } = await reader.collect();
    expect(errors).toEqual([]);
    const scope = resourceMetrics.scopeMetrics.find((scoped) => scoped.scope.name === '@kongflow/secretstore');
    const metric = scope?.metrics.find((m) => m.descriptor.name === 'secretstore.operation.duration');
    if (metric === undefined) return undefined;
    expect(metric.dataPointType).toBe(DataPointType.HISTOGRAM);
    return metric as HistogramMetricData;
  };
  return {
    tracerProvider,
    meterProvider,
    spans: () => exporter.getFinishedSpans(),
    durationMetric,
    async durations() {
      const metric = await durationMetric();
      const byAttributes = new Map<string, DataPoint<Histogram>>();
      for (const point of metric?.dataPoints ?? []) {
        const { attributes } = point;
        const label = [attributes['secretstore.operation'], attributes['secretstore.outcome'], attributes['error.type']]
          .filter((part) => part !== undefined)
          .join(' ');
        byAttributes.set(label, point);
      }
      return byAttributes;
    },
    logger,
    lines,
  };
}

function repository(): PostgresSecretStoreRepository {
  return new PostgresSecretStoreRepository(testDatabase().handle);
}

/**
 * Makes `key` read as a value written under a key the keyring no longer holds: its rows name another key id.
 * Its audit record stays signed under a key of the keyring, so that rotation can still seal the trail.
 */
async function relabelToLostKey(key: string): Promise<void> {
  for (const table of ['secret_store', 'secret_versions']) {
    await testDatabase().database.query(
      `UPDATE ${table} SET key_id = 'lost', value = jsonb_set(value, '{kid}', '"lost"') WHERE key = $1`,
      [key],
    );
  }
}

/** A store reporting to `observed`'s providers and logger. */
function observedStore(
  observed: Observed,
  options: SecretStoreOptions = {},
  over: SecretStoreRepository = repository(),
): SecretStore {
  return new SecretStore(over, {
    encryption,
    logger: observed.logger,
    telemetry: { tracerProvider: observed.tracerProvider, meterProvider: observed.meterProvider },
    ...options,
  });
}

function spanNamed(spans: ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter((span) => span.name === name);
  expect(found).toHaveLength(1);
  return found[0];
}

/** Everything a span exports that could carry text: name, attributes, events and status. */
function spanText(span: ReadableSpan): string {
  return JSON.stringify({ name: span.name, attributes: span.attributes, events: span.events, status: span.status });
}

const forbidden: string[] = [];

/** A unique string planted in secret values: it must show up in no span, metric or log line. */
function marker(): string {
  const text = `MARKER-${randomBytes(8).toString('hex')}`;
  forbidden.push(text);
  return text;
}

const Token = z.object({ token: z.string() });

beforeEach(async () => {
  await testDatabase().reset();
});

describe('spans', () => {
  it('gives every operation one INTERNAL span named secretstore.<operation>, with its outcome and counts', async () => {
    const observed = observe();
    const store = observedStore(observed);

    await store.setSecret('svc.a', { token: 'a' });
    await store.setSecret('svc.b', { token: 'b' });
    await store.getSecret(Token, 'svc.a');
    await store.getSecretOrThrow(Token, 'svc.b');
    await store.getSecrets(Token, 'svc.');
    await store.getSecretsByKeys(Token, ['svc.a', 'svc.missing', 'svc.a']);
    await store.listSecrets({ prefix: 'svc.' });
    await store.encryptionUsage();
    await store.deleteSecret('svc.b');
    await store.transaction(async () => undefined);

    const spans = observed.spans();
    expect(spans.map((span) => span.name)).toEqual([
      'secretstore.setSecret',
      'secretstore.setSecret',
      'secretstore.getSecret',
      'secretstore.getSecretOrThrow',
      'secretstore.getSecrets',
      'secretstore.getSecretsByKeys',
      'secretstore.listSecrets',
      'secretstore.encryptionUsage',
      'secretstore.deleteSecret',
      'secretstore.transaction',
    ]);
    for (const span of spans) {
      expect(span.kind).toBe(SpanKind.INTERNAL);
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
      expect(span.events).toEqual([]);
      expect(span.attributes).toMatchObject({
        'secretstore.operation': span.name.slice('secretstore.'.length),
        'secretstore.outcome': 'ok',
      });
      expect(span.instrumentationScope.name).toBe('@kongflow/secretstore');
      expect(span.parentSpanContext).toBeUndefined();
    }
    const countOf = (name: string) => spanNamed(spans, name).attributes['secretstore.result.count'];
    expect(countOf('secretstore.getSecrets')).toBe(2);
    expect(countOf('secretstore.getSecretsByKeys')).toBe(1);
    expect(countOf('secretstore.listSecrets')).toBe(2);
    expect(countOf('secretstore.encryptionUsage')).toBe(1);
    expect(countOf('secretstore.getSecret')).toBeUndefined();
  });

  it('reports a missing key as not_found on getSecret and deleteSecret, and as an error on getSecretOrThrow', async () => {
    const observed = observe();
    const store = observedStore(observed);

    await expect(store.getSecret(Token, 'nothing.here')).resolves.toBeUndefined();
    await expect(store.deleteSecret('nothing.here')).resolves.toBe(false);
    await expect(store.getSecretOrThrow(Token, 'nothing.here')).rejects.toMatchObject({ code: 'SECRET_NOT_FOUND' });

    const [get, del, getOrThrow] = observed.spans();
    expect(get.attributes).toEqual({ 'secretstore.operation': 'getSecret', 'secretstore.outcome': 'not_found' });
    expect(get.status.code).toBe(SpanStatusCode.UNSET);
    expect(del.attributes).toEqual({ 'secretstore.operation': 'deleteSecret', 'secretstore.outcome': 'not_found' });
    expect(del.status.code).toBe(SpanStatusCode.UNSET);
    expect(getOrThrow.attributes).toEqual({
      'secretstore.operation': 'getSecretOrThrow',
      'secretstore.outcome': 'error',
      'error.type': 'SECRET_NOT_FOUND',
    });
    expect(getOrThrow.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: 'SECRET_NOT_FOUND: Secret "nothing.here" was not found',
    });
  });

  it.each<[string, (store: SecretStore) => Promise<unknown>, string, string]>([
    ['an invalid key', (store) => store.getSecret(Token, ''), 'INVALID_SECRET_KEY', 'InvalidSecretKeyError'],
    [
      'a value that fails the schema',
      (store) => store.getSecret(z.object({ token: z.number() }), 'svc.a'),
      'SECRET_VALIDATION_FAILED',
      'SecretValidationError',
    ],
    [
      'a value that does not survive JSON',
      (store) => store.setSecret('svc.date', { at: new Date() }),
      'INVALID_SECRET_VALUE',
      'InvalidSecretValueError',
    ],
    [
      'a keys argument that is not an array',
      (store) => store.getSecretsByKeys(Token, 'svc.a' as unknown as string[]),
      'INVALID_ARGUMENT',
      'InvalidArgumentError',
    ],
  ])('marks %s as an error with its code, status and a sanitized exception event', async (_, fail, code, name) => {
    await observedStore(observe()).setSecret('svc.a', { token: 'a' });
    const observed = observe();
    const store = observedStore(observed);

    const error = (await fail(store).catch((e: unknown) => e)) as Error & { code: string };

    expect(error.code).toBe(code);
    const [span] = observed.spans();
    expect(span.attributes).toMatchObject({ 'secretstore.outcome': 'error', 'error.type': code });
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: `${code}: ${error.message}` });
    expect(span.events).toHaveLength(1);
    expect(span.events[0].name).toBe('exception');
    // Name and message only: no stack trace, and nothing else of the error object.
    expect(span.events[0].attributes).toEqual({ 'exception.type': name, 'exception.message': error.message });
  });

  it('records an error the store did not raise as _OTHER, without its message', async () => {
    const observed = observe();
    const store = observedStore(observed);
    const secret = marker();

    await expect(
      store.transaction(async () => {
        throw new Error(`application failure quoting ${secret}`);
      }),
    ).rejects.toThrow(secret);

    const [span] = observed.spans();
    expect(span.name).toBe('secretstore.transaction');
    expect(span.attributes).toMatchObject({ 'secretstore.outcome': 'error', 'error.type': '_OTHER' });
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.events).toEqual([]);
    expect(spanText(span)).not.toContain(secret);
  });

  it("makes a transaction's operations children of the transaction span, without a context manager", async () => {
    const observed = observe();
    const store = observedStore(observed);

    await store.transaction(async (tx) => {
      await tx.setSecret('tx.a', { token: 'a' });
      await tx.getSecret(Token, 'tx.a');
      await tx.deleteSecret('tx.a');
    });
    await store.getSecret(Token, 'tx.a');

    const [setSecret, getSecret, deleteSecret, transaction, after] = observed.spans();
    expect(transaction.name).toBe('secretstore.transaction');
    expect(transaction.parentSpanContext).toBeUndefined();
    const { traceId, spanId } = transaction.spanContext();
    for (const child of [setSecret, getSecret, deleteSecret]) {
      expect(child.parentSpanContext?.spanId).toBe(spanId);
      expect(child.spanContext().traceId).toBe(traceId);
    }
    // After the transaction, operations are roots again.
    expect(after.name).toBe('secretstore.getSecret');
    expect(after.parentSpanContext).toBeUndefined();
    expect(after.spanContext().traceId).not.toBe(traceId);
  });

  describe('with a context manager', () => {
    /** What @opentelemetry/context-async-hooks provides, in the few lines a test needs. */
    class AsyncLocalStorageContextManager implements ContextManager {
      private readonly storage = new AsyncLocalStorage<Context>();
      active(): Context {
        return this.storage.getStore() ?? ROOT_CONTEXT;
      }
      with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
        activeContext: Context,
        fn: F,
        thisArg?: ThisParameterType<F>,
        ...args: A
      ): ReturnType<F> {
        return this.storage.run(activeContext, () => fn.call(thisArg, ...args));
      }
      bind<T>(_context: Context, target: T): T {
        return target;
      }
      enable(): this {
        return this;
      }
      disable(): this {
        this.storage.disable();
        return this;
      }
    }

    beforeAll(() => {
      context.setGlobalContextManager(new AsyncLocalStorageContextManager());
    });
    afterAll(() => {
      context.disable();
    });

    it("nests operations under the application's active span, inside a transaction too", async () => {
      const observed = observe();
      const store = observedStore(observed);
      const tracer = observed.tracerProvider.getTracer('application');

      await tracer.startActiveSpan('handle-request', async (request) => {
        await store.setSecret('app.a', { token: 'a' });
        await store.transaction(async (tx) => {
          await tracer.startActiveSpan('application-step', async (step) => {
            await tx.getSecret(Token, 'app.a');
            step.end();
          });
          await tx.deleteSecret('app.a');
        });
        request.end();
      });

      const spans = observed.spans();
      const idOf = (name: string) => spanNamed(spans, name).spanContext().spanId;
      const parentOf = (name: string) => spanNamed(spans, name).parentSpanContext?.spanId;
      expect(parentOf('secretstore.setSecret')).toBe(idOf('handle-request'));
      expect(parentOf('secretstore.transaction')).toBe(idOf('handle-request'));
      expect(parentOf('application-step')).toBe(idOf('secretstore.transaction'));
      expect(parentOf('secretstore.getSecret')).toBe(idOf('application-step'));
      expect(parentOf('secretstore.deleteSecret')).toBe(idOf('secretstore.transaction'));
    });
  });

  it('counts what rotation scanned, re-encrypted, skipped and could not read, and warns per unreadable row', async () => {
    const k1 = generateEncryptionKey();
    const k2 = generateEncryptionKey();
    const writer = new SecretStore(repository(), { encryption: parseEncryptionKeys(`k1:${k1}`) });
    for (const key of ['rot.a', 'rot.b', 'rot.c', 'rot.lost']) await writer.setSecret(key, { token: marker() });
    await relabelToLostKey('rot.lost');
    // A write that lands between rotation's read and its rewrite of rot.c, keeping one version: the version
    // rotation read is gone, and skipped.
    const keepingOne = new SecretStore(repository(), { encryption: parseEncryptionKeys(`k1:${k1}`), maxVersions: 1 });
    class RacingRepository extends PostgresSecretStoreRepository {
      override async reencryptVersion(...args: Parameters<SecretStoreRepository['reencryptVersion']>) {
        if (args[0].key === 'rot.c') await keepingOne.setSecret('rot.c', { token: marker() });
        return super.reencryptVersion(...args);
      }
    }
    const observed = observe();
    const store = observedStore(
      observed,
      { encryption: parseEncryptionKeys(`k2:${k2},k1:${k1}`) },
      new RacingRepository(testDatabase().handle),
    );

    const result = await store.rotateEncryptionKeys({ batchSize: 2 });

    expect(result).toEqual({
      scanned: 4,
      reEncrypted: 2,
      skipped: 1,
      failed: [{ key: 'rot.lost', version: 1, code: 'SECRET_DECRYPTION_FAILED' }],
      auditCheckpointsResealed: 0,
    });
    const span = spanNamed(observed.spans(), 'secretstore.rotateEncryptionKeys');
    expect(span.attributes).toEqual({
      'secretstore.operation': 'rotateEncryptionKeys',
      'secretstore.outcome': 'ok',
      'secretstore.rotation.scanned': 4,
      'secretstore.rotation.re_encrypted': 2,
      'secretstore.rotation.skipped': 1,
      'secretstore.rotation.failed': 1,
    });
    expect(observed.lines.filter((line) => line.level === 'warn')).toEqual([
      {
        level: 'warn',
        fields: { operation: 'rotateEncryptionKeys', key: 'rot.lost', code: 'SECRET_DECRYPTION_FAILED' },
        message: expect.stringContaining('rotateEncryptionKeys') as string,
      },
    ]);
  });

  it('carries no secret value in any span attribute, event or status, metric or log line', async () => {
    const observed = observe();
    const store = observedStore(observed);
    const Credentials = z.object({ user: z.string(), password: z.string() });

    await store.setSecret('leak.a', { user: marker(), password: marker() });
    await store.setSecret('leak.b', { user: marker(), password: marker(), extra: [marker()] });
    await store.getSecret(Credentials, 'leak.a');
    await store.getSecretOrThrow(Credentials, 'leak.b');
    await store.getSecrets(Credentials, 'leak.');
    await store.getSecretsByKeys(anyJson, ['leak.a', 'leak.b']);
    await store.listSecrets({ prefix: 'leak.' });
    // Each settles into 'rejected' at once, so that no rejection goes unhandled while another is awaited.
    const failures = [
      store.getSecret(z.object({ user: z.number() }), 'leak.a'),
      store.getSecrets(z.object({ user: z.string().max(3) }), 'leak.'),
      store.setSecret('leak.c', { token: marker(), at: new Date() }),
      store.setSecret('leak.d', { token: marker(), big: 'x'.repeat(2 * 1024 * 1024) }),
      store.getSecret(Credentials, { user: marker() } as unknown as string),
      store.transaction(async (tx) => {
        await tx.setSecret('leak.e', { token: marker() });
        throw new Error(marker());
      }),
    ].map((failure) =>
      failure.then(
        () => 'resolved',
        () => 'rejected',
      ),
    );
    expect(await Promise.all(failures)).toEqual(failures.map(() => 'rejected'));
    await store.rotateEncryptionKeys();

    const spans = observed.spans();
    expect(spans.filter((span) => span.status.code === SpanStatusCode.ERROR)).toHaveLength(failures.length);
    const exported = [
      ...spans.map(spanText),
      JSON.stringify(await observed.durationMetric()),
      JSON.stringify(observed.lines),
    ].join('\n');
    expect(forbidden.filter((secret) => exported.includes(secret))).toEqual([]);
    // Keys are named by error messages only, never by attributes, metrics or debug lines.
    for (const span of spans) expect(JSON.stringify(span.attributes)).not.toContain('leak.');
    expect(JSON.stringify(await observed.durationMetric())).not.toContain('leak.');
    expect(JSON.stringify(observed.lines)).not.toContain('leak.');
  });
});

describe('the duration histogram', () => {
  it('has a data point per operation, outcome and error code, counting the calls', async () => {
    const observed = observe();
    const store = observedStore(observed);

    for (let i = 0; i < 3; i++) await store.setSecret(`h.${i}`, { token: `${i}` });
    await store.getSecret(Token, 'h.0');
    await store.getSecret(Token, 'h.1');
    await store.getSecret(Token, 'h.missing');
    await store.getSecret(Token, '').catch(() => undefined);
    await store.getSecretOrThrow(Token, 'h.missing').catch(() => undefined);
    await store.getSecrets(Token, 'h.');
    await store.transaction((tx) => tx.deleteSecret('h.2'));

    const metric = await observed.durationMetric();
    expect(metric?.descriptor).toMatchObject({ name: 'secretstore.operation.duration', unit: 's' });
    const points = await observed.durations();
    expect(Object.fromEntries([...points].map(([label, point]) => [label, point.value.count]))).toEqual({
      'setSecret ok': 3,
      'getSecret ok': 2,
      'getSecret not_found': 1,
      'getSecret error INVALID_SECRET_KEY': 1,
      'getSecretOrThrow error SECRET_NOT_FOUND': 1,
      'getSecrets ok': 1,
      'transaction ok': 1,
      'deleteSecret ok': 1,
    });
    for (const [, point] of points) {
      expect(Object.keys(point.attributes).sort()).toEqual(
        point.attributes['secretstore.outcome'] === 'error'
          ? ['error.type', 'secretstore.operation', 'secretstore.outcome']
          : ['secretstore.operation', 'secretstore.outcome'],
      );
      expect(point.value.min).toBeGreaterThanOrEqual(0);
      expect(point.value.buckets.boundaries[0]).toBe(0.001);
    }
    // A transaction lasts at least as long as the operation inside it.
    expect(points.get('transaction ok')!.value.sum).toBeGreaterThanOrEqual(points.get('deleteSecret ok')!.value.sum!);
  });
});

describe('the global providers', () => {
  afterEach(() => {
    trace.disable();
    metrics.disable();
  });

  it('work as no-ops when the application registers no SDK', async () => {
    const store = new SecretStore(repository(), { encryption });

    await store.setSecret('noop.a', { token: 'a' });
    await expect(store.getSecret(Token, 'noop.a')).resolves.toEqual({ token: 'a' });
    await expect(store.transaction((tx) => tx.getSecretOrThrow(Token, 'noop.a'))).resolves.toEqual({ token: 'a' });
    await expect(store.getSecret(Token, '')).rejects.toMatchObject({ code: 'INVALID_SECRET_KEY' });
    expect(await store.rotateEncryptionKeys()).toMatchObject({ scanned: 0 });
  });

  it('are used when registered, even after the store was built', async () => {
    const store = new SecretStore(repository(), { encryption });
    await store.setSecret('global.a', { token: 'a' });
    const observed = observe();

    trace.setGlobalTracerProvider(observed.tracerProvider);
    metrics.setGlobalMeterProvider(observed.meterProvider);
    await store.getSecret(Token, 'global.a');
    await store.deleteSecret('global.a');

    expect(observed.spans().map((span) => span.name)).toEqual(['secretstore.getSecret', 'secretstore.deleteSecret']);
    expect([...(await observed.durations()).keys()]).toEqual(['getSecret ok', 'deleteSecret ok']);
  });
});

describe('the logger', () => {
  it('gets a debug line per operation with its name, outcome, duration and error code, never a value or key', async () => {
    const { logger, lines } = recordingLogger();
    const store = new SecretStore(repository(), { encryption, logger });
    const value = marker();

    await store.setSecret('log.a', { token: value });
    await store.getSecret(Token, 'log.a');
    await store.getSecret(Token, 'log.missing');
    await store.getSecret(z.object({ token: z.number() }), 'log.a').catch(() => undefined);

    expect(
      lines.map(({ level, fields, message }) => ({ level, fields: { ...fields, durationMs: 0 }, message })),
    ).toEqual([
      {
        level: 'debug',
        fields: { operation: 'setSecret', outcome: 'ok', durationMs: 0 },
        message: 'secretstore.setSecret ok',
      },
      {
        level: 'debug',
        fields: { operation: 'getSecret', outcome: 'ok', durationMs: 0 },
        message: 'secretstore.getSecret ok',
      },
      {
        level: 'debug',
        fields: { operation: 'getSecret', outcome: 'not_found', durationMs: 0 },
        message: 'secretstore.getSecret not_found',
      },
      {
        level: 'debug',
        fields: { operation: 'getSecret', outcome: 'error', code: 'SECRET_VALIDATION_FAILED', durationMs: 0 },
        message: 'secretstore.getSecret error',
      },
    ]);
    for (const line of lines) expect(line.fields.durationMs).toBeGreaterThanOrEqual(0);
    expect(JSON.stringify(lines)).not.toContain(value);
    expect(JSON.stringify(lines)).not.toContain('log.');
  });

  it('is optional per level: a logger with warn only gets no debug lines', async () => {
    const warnings: unknown[] = [];
    const store = new SecretStore(repository(), { encryption, logger: { warn: (fields) => warnings.push(fields) } });

    await store.setSecret('log.a', { token: 'a' });
    await store.getSecret(Token, 'log.a');

    expect(warnings).toEqual([]);
  });

  it('reaches the store through createSecretStore', async () => {
    const { logger, lines } = recordingLogger();
    const store = await createSecretStore({ db: testDatabase().handle, encryption, logger });

    await store.getSecret(Token, 'created.missing');

    expect(lines).toMatchObject([{ level: 'debug', fields: { operation: 'getSecret', outcome: 'not_found' } }]);
  });

  it('prints nothing by default, not even for failures and unreadable rows', async () => {
    await new SecretStore(repository(), { encryption }).setSecret('quiet.lost', { token: 'x' });
    await relabelToLostKey('quiet.lost');
    const output = captureOutput();
    try {
      const store = new SecretStore(repository(), { encryption });
      await store.setSecret('quiet.a', { token: 'a' });
      await store.getSecret(Token, 'quiet.a');
      await store.getSecret(Token, '').catch(() => undefined);
      await store.getSecret(Token, 'quiet.lost').catch(() => undefined);
      await store.transaction((tx) => tx.deleteSecret('quiet.a'));
      expect((await store.rotateEncryptionKeys()).failed).toHaveLength(1);
    } finally {
      output.restore();
    }
    expect(output.text()).toBe('');
  });
});

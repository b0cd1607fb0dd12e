import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

import { SecretStore } from '../../src';
import { INSTRUMENTATION_SCOPE, INSTRUMENTATION_VERSION } from '../../src/secretstore/telemetry';
import { mockSecretStoreRepository } from '../support/mock-secret-store-repository';
import packageJson from '../../package.json';

it("names the instrumentation scope after the package and its version, so that a release can't leave it behind", async () => {
  expect(INSTRUMENTATION_SCOPE).toBe(packageJson.name);
  expect(INSTRUMENTATION_VERSION).toBe(packageJson.version);

  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const repository = mockSecretStoreRepository();
  repository.countSecretsByEncryption.mockResolvedValue([]);
  await new SecretStore(repository, { encryption: 'none', telemetry: { tracerProvider } }).encryptionUsage();

  expect(exporter.getFinishedSpans().map((span) => span.instrumentationScope)).toEqual([
    { name: packageJson.name, version: packageJson.version, schemaUrl: undefined },
  ]);
});

it('makes each repository call once, and logs an error it did not raise as _OTHER without its message', async () => {
  const repository = mockSecretStoreRepository();
  const failure = new Error('driver failure');
  repository.getSecret.mockRejectedValue(failure);
  const debug = jest.fn();
  const store = new SecretStore(repository, { encryption: 'none', logger: { debug } });

  await expect(
    store.getSecret({ '~standard': { version: 1, vendor: 't', validate: (value) => ({ value }) } }, 'k'),
  ).rejects.toBe(failure);

  expect(repository.getSecret).toHaveBeenCalledTimes(1);
  expect(debug.mock.calls).toEqual([
    [
      { operation: 'getSecret', outcome: 'error', code: '_OTHER', durationMs: expect.any(Number) as number },
      'secretstore.getSecret error',
    ],
  ]);
});

/**
 * Chooses, once per jest run, the PostgreSQL the database tests use, and says which:
 *   1. TEST_DATABASE_URL set: that server (each test file makes and drops its own database);
 *   2. a Docker engine answers: a postgres:15-alpine container from @testcontainers/postgresql (where no registry
 *      is reachable, scripts/postgres-image/build.sh makes the image and .ci/testcontainers.sh shows the settings);
 *   3. otherwise: embedded PGlite, a fresh in-memory instance per test file.
 * TEST_DATABASE=pglite forces embedded PGlite even where a server or Docker is available.
 * The choice reaches the test workers through environment variables.
 */
import type { Config } from '@jest/types';
import type { StartedPostgreSqlContainer } from '@testcontainers/postgresql';

import { pgbouncerVersion } from '../support/pgbouncer';
import { HARNESS_MODE_VARIABLE, HARNESS_SERVER_VARIABLE, type HarnessMode } from './mode';

declare global {
  var __SECRETSTORE_TEST_CONTAINER__: { stop(): Promise<unknown> } | undefined;
}

async function dockerAnswers(): Promise<boolean> {
  const { getContainerRuntimeClient } = await import('testcontainers');
  try {
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

const CONTAINER_IMAGE = 'postgres:15-alpine';

async function startContainer(): Promise<StartedPostgreSqlContainer> {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  try {
    return await new PostgreSqlContainer(CONTAINER_IMAGE).start();
  } catch (cause) {
    // testcontainers' message (often a registry it cannot reach) names neither the image nor the way out.
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new Error(
      `a Docker engine answers, but a ${CONTAINER_IMAGE} container did not start: ${reason.trim()}. ` +
        'Without a registry: scripts/postgres-image/build.sh builds the image, and TESTCONTAINERS_RYUK_DISABLED=true ' +
        'TESTCONTAINERS_HOST_OVERRIDE=localhost keep testcontainers from pulling its helper images. ' +
        'TEST_DATABASE=pglite runs the tests without Docker.',
      { cause },
    );
  }
}

function announce(mode: HarnessMode, where: string): void {
  process.env[HARNESS_MODE_VARIABLE] = mode;
  console.log(`\n[secretstore tests] database: ${where}`);
}

export default async function globalSetup(globalConfig: Config.GlobalConfig): Promise<void> {
  // A run of the unit project alone needs no database.
  const selected: unknown = (globalConfig as { selectProjects?: unknown }).selectProjects;
  if (Array.isArray(selected) && selected.length > 0 && selected.every((name) => name === 'unit')) return;

  const forced = process.env.TEST_DATABASE;
  if (forced !== undefined && forced !== 'pglite') {
    throw new Error(`TEST_DATABASE=${forced} is not understood; the only value it takes is "pglite"`);
  }
  const serverUrl = forced ? undefined : process.env.TEST_DATABASE_URL;
  if (serverUrl) {
    process.env[HARNESS_SERVER_VARIABLE] = serverUrl;
    const url = new URL(serverUrl);
    const pooler = await pgbouncerVersion(serverUrl);
    announce(
      'server',
      `PostgreSQL ${pooler ? `through ${pooler} ` : ''}at ${url.hostname}:${url.port || 5432} (TEST_DATABASE_URL), ` +
        'a fresh database per test file',
    );
    return;
  }
  if (!forced && (await dockerAnswers())) {
    const container = await startContainer();
    globalThis.__SECRETSTORE_TEST_CONTAINER__ = container;
    process.env[HARNESS_SERVER_VARIABLE] = container.getConnectionUri();
    announce(
      'server',
      `${CONTAINER_IMAGE} in a Docker container at ${container.getHost()}:${container.getPort()} (testcontainers), ` +
        'a fresh database per test file',
    );
    return;
  }
  const why = forced ? 'TEST_DATABASE=pglite' : 'no TEST_DATABASE_URL, no Docker engine';
  announce('pglite', `embedded PGlite (${why}), a fresh instance per test file`);
}

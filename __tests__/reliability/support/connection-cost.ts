import { Client } from 'pg';

/** Samples of a connection's cost; their median is the cost, so one slow outlier moves nothing. */
const SAMPLES = 5;

/**
 * What opening a connection to `url` costs on this machine right now, in milliseconds: connect and one
 * query, one connection after another, the median of a few.
 */
export async function measureConnectionCost(url: string): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const client = new Client({ connectionString: url, application_name: 'reliability-probe' });
    const startedAt = performance.now();
    try {
      await client.connect();
      await client.query('SELECT 1');
      samples.push(performance.now() - startedAt);
    } finally {
      await client.end();
    }
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(SAMPLES / 2)];
}

/**
 * What reopening a whole pool costs: `connections` opened at once (connect and one query each), until the last
 * is ready, the median of a few. A kill ends every connection of the pool together, and the postmaster starts
 * their replacements one after another: where starting a process is slow, this is many single costs.
 */
export async function measureReconnectionCost(url: string, connections: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const clients = Array.from(
      { length: connections },
      () => new Client({ connectionString: url, application_name: 'reliability-probe' }),
    );
    const startedAt = performance.now();
    try {
      await Promise.all(
        clients.map(async (client) => {
          await client.connect();
          await client.query('SELECT 1');
        }),
      );
      samples.push(performance.now() - startedAt);
    } finally {
      await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
    }
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(SAMPLES / 2)];
}

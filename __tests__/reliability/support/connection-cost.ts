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

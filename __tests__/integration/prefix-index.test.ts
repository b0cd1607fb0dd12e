import { PostgresSecretStoreRepository, type Queryable } from '../../src';
import { useTestDatabase } from '../harness/database';

const testDatabase = useTestDatabase();

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function planNodes(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(planNodes)];
}

/** Records the statements the repository sends, so that EXPLAIN runs on exactly that SQL. */
function recordingConnection(target: Queryable, sent: { text: string; values: unknown[] }[]): Queryable {
  return {
    query(text, values) {
      sent.push({ text, values: values ?? [] });
      return target.query(text, values);
    },
  };
}

async function explain(connection: Queryable, statement: string, values: unknown[]): Promise<PlanNode[]> {
  const { rows } = await connection.query(`EXPLAIN (FORMAT JSON) ${statement}`, values);
  const [row] = rows as { 'QUERY PLAN': [{ Plan: PlanNode }] | string }[];
  const plan = row['QUERY PLAN'];
  const parsed = typeof plan === 'string' ? (JSON.parse(plan) as [{ Plan: PlanNode }]) : plan;
  return planNodes(parsed[0].Plan);
}

function expectPrimaryKeyRangeScan(nodes: PlanNode[]): void {
  expect(nodes.map((node) => node['Node Type'])).not.toContain('Seq Scan');
  const scan = nodes.find((node) => node['Index Name'] === 'secret_store_pkey');
  expect(scan).toBeDefined();
  expect(['Index Scan', 'Index Only Scan', 'Bitmap Index Scan']).toContain(scan!['Node Type']);
}

describe('listing by prefix on 100,000 rows', () => {
  beforeAll(async () => {
    const { database } = testDatabase();
    await database.query(
      `INSERT INTO secret_store (key, value, encoding)
       SELECT 'tenant.' || lpad((i % 100)::text, 3, '0') || '.secret.' || lpad(i::text, 6, '0'), jsonb_build_object('i', i), 'plain'
       FROM generate_series(1, 100000) AS i`,
      [],
    );
    await database.query('ANALYZE secret_store', []);
  }, 120_000);

  it('returns exactly the keys under the prefix', async () => {
    const repository = new PostgresSecretStoreRepository(testDatabase().database);
    const records = await repository.listSecretsByPrefix('tenant.042.');
    expect(records).toHaveLength(1000);
    expect(records.every((record) => record.key.startsWith('tenant.042.'))).toBe(true);
  });

  it('scans the primary key index, with the parameter values and under a generic plan', async () => {
    const { database } = testDatabase();
    await database.withConnection(async (connection) => {
      const sent: { text: string; values: unknown[] }[] = [];
      await new PostgresSecretStoreRepository(recordingConnection(connection, sent)).listSecretsByPrefix('tenant.042.');
      expect(sent).toHaveLength(1);
      const [{ text, values }] = sent;

      // The plan PostgreSQL makes when it sees the values (an unnamed statement, as node-postgres sends it).
      expectPrimaryKeyRangeScan(await explain(connection, text, values));

      // The plan a named prepared statement may settle on, made without looking at the values.
      const types = values.map(() => 'text').join(', ');
      const literals = values.map((value) => `'${String(value).replace(/'/g, "''")}'`).join(', ');
      await connection.query(`PREPARE list_by_prefix (${types}) AS ${text}`, []);
      try {
        await connection.query('SET plan_cache_mode = force_generic_plan', []);
        expectPrimaryKeyRangeScan(await explain(connection, `EXECUTE list_by_prefix (${literals})`, []));
      } finally {
        await connection.query('RESET plan_cache_mode', []);
        await connection.query('DEALLOCATE list_by_prefix', []);
      }
    });
  });
});

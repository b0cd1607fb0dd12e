import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { run } from '../../src/cli/program';

it('probe', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'probe-'));
  const out: string[] = [];
  const io = { stdin: Readable.from([]), stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => out.push(t) }, env: {} };
  for (const args of [['list'], ['set', 'a.b', '{"x":1}'], ['get', 'a.b'], ['status']]) {
    const t = Date.now();
    const code = await run(['node', 'secretstore', '--data-dir', dir, ...args], io);
    console.log(args, code, Date.now() - t);
  }
  const db = await PGlite.create();
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 8 });
  await server.start();
  const url = `postgres://postgres@${server.getServerConn()}/postgres?sslmode=disable`;
  const env = { SECRETSTORE_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}` };
  for (const args of [['status'], ['migrate'], ['set', 'a.b', '{"x":1}'], ['get', 'a.b'], ['status']]) {
    const t = Date.now();
    const code = await run(['node', 'secretstore', '--database-url', url, ...args], { ...io, env });
    console.log(args, code, Date.now() - t);
  }
  await server.stop();
  await db.close();
  console.log(out.join(''));
  rmSync(dir, { recursive: true, force: true });
}, 120000);

/**
 * The LISTEN connection over node-postgres, through a fault-injecting proxy on loopback: it listens, notices a
 * connection cut at a heartbeat, listens again, and stops for good when closed. On PGlite, through the socket
 * the harness serves it on (LISTEN succeeds there; notifications are checked on a server only).
 */
import { Client } from 'pg';

import { listenWithPg, type NotificationListener } from '../../src/database/notification-listener';
import { useTestDatabase } from '../harness/database';
import { eventually } from '../support/eventually';
import { FaultProxy } from '../support/fault-proxy';

const testDatabase = useTestDatabase();

const TIMING = { heartbeatMillis: 50, heartbeatTimeoutMillis: 2_000, maxReconnectDelayMillis: 100 };

describe('listenWithPg', () => {
  it('listens, notices a cut connection, listens again, and stops for good when closed', async () => {
    const target = testDatabase().directUrl ?? (await testDatabase().tcpUrl());
    const proxy = await FaultProxy.inFrontOf(target);
    const events: string[] = [];
    const payloads: string[] = [];
    let listener: NotificationListener | undefined;
    try {
      listener = await listenWithPg({ connectionString: proxy.urlFor(target) }, TIMING)('secretstore_changes', {
        notification: (payload) => payloads.push(payload),
        listening: () => events.push('listening'),
        lost: () => events.push('lost'),
      });
      expect(listener.listening).toBe(true);
      expect(events).toEqual(['listening']);

      if (testDatabase().mode === 'server') {
        const sender = new Client({ connectionString: target });
        await sender.connect();
        await sender.query("SELECT pg_notify('secretstore_changes', 'one'), pg_notify('other_channel', 'two')");
        await sender.end();
        await eventually('the notification arrives', async () => (payloads.length > 0 ? true : undefined));
        expect(payloads).toEqual(['one']);
      }

      // The next heartbeat never reaches the server: the connection is cut, and a new one listens.
      proxy.arm({ sql: /^SELECT 1$/, action: 'cut-before' });
      await eventually('the cut is noticed and listening resumes', async () =>
        events.join(',') === 'listening,lost,listening' ? true : undefined,
      );
      expect(listener.listening).toBe(true);

      await listener.close();
      expect(listener.listening).toBe(false);
      // Cut again after closing: nothing more is told, and nothing reconnects.
      const accepted = proxy.accepted;
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(events).toEqual(['listening', 'lost', 'listening']);
      expect(proxy.accepted).toBe(accepted);
    } finally {
      await listener?.close();
      await proxy.close();
    }
  }, 30_000);

  it('keeps trying, and tells each failed attempt, while nothing answers; then listens when it can', async () => {
    const target = testDatabase().directUrl ?? (await testDatabase().tcpUrl());
    const proxy = await FaultProxy.inFrontOf(target);
    const events: string[] = [];
    // Every LISTEN is cut before it reaches the server, three times.
    for (let attempt = 0; attempt < 3; attempt++) proxy.arm({ sql: /^LISTEN /, action: 'cut-before' });
    const listener = await listenWithPg({ connectionString: proxy.urlFor(target) }, TIMING)('secretstore_changes', {
      notification: () => undefined,
      listening: () => events.push('listening'),
      lost: () => events.push('lost'),
    });
    try {
      expect(listener.listening).toBe(false);
      await eventually('it listens at last', async () => (listener.listening ? true : undefined));
      expect(events).toEqual(['lost', 'lost', 'lost', 'listening']);
    } finally {
      await listener.close();
      await proxy.close();
    }
  }, 30_000);

  it('refuses a channel that is not a plain identifier', async () => {
    const listen = listenWithPg({ connectionString: 'postgres://127.0.0.1:1/none' });
    const handlers = { notification: () => undefined, listening: () => undefined, lost: () => undefined };
    await expect(listen('bad channel; DROP', handlers)).rejects.toMatchObject({ code: 'INVALID_CONFIGURATION' });
  });
});

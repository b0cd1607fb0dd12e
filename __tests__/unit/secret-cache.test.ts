/** The cache's rules, without a database: what it stores, serves and drops, and how notifications are read. */
import { ChangeFeed, parseChanges } from '../../src/secretstore/change-feed';
import { SecretCache, cacheSettings, deepFreeze, type CachedSecret } from '../../src/secretstore/secret-cache';
import type { NotificationHandlers } from '../../src/database/notification-listener';
import type { ChangeListener } from '../../src/secretstore/secret-store-repository';
import type { SecretCacheOptions } from '../../src';

const settings = (overrides: Partial<SecretCacheOptions> = {}) =>
  cacheSettings({ ttlMillis: Number.POSITIVE_INFINITY, maxEntries: 100, ...overrides }) as NonNullable<
    ReturnType<typeof cacheSettings>
  >;

function secret(key: string, version: number, n = version): CachedSecret {
  return { key, version, value: deepFreeze({ n }), expiresAt: null };
}

function liveCache(overrides = {}): SecretCache {
  const cache = new SecretCache(settings(overrides));
  cache.resumed();
  return cache;
}

describe('SecretCache', () => {
  it('serves nothing and stores nothing until changes are heard', () => {
    const cache = new SecretCache(settings());
    cache.store('a', secret('a', 1), cache.ticket());
    expect(cache.get('a')).toBeUndefined();
    cache.resumed();
    cache.store('a', secret('a', 1), cache.ticket());
    expect(cache.get('a')?.secret?.version).toBe(1);
  });

  it('never stores a version older than the newest one heard of its key, nor a miss of a key heard present', () => {
    const cache = liveCache();
    cache.changed([{ key: 'a', version: 5, operation: 'set' }]);
    // A read that started after the change but was answered by something behind it (a replica, a slow read).
    const ticket = cache.ticket();
    cache.store('a', secret('a', 4), ticket);
    expect(cache.get('a')).toBeUndefined();
    cache.store('a', undefined, ticket);
    expect(cache.get('a')).toBeUndefined();
    cache.store('a', secret('a', 5), ticket);
    expect(cache.get('a')?.secret?.version).toBe(5);

    cache.changed([{ key: 'b', version: 2, operation: 'delete' }]);
    const after = cache.ticket();
    cache.store('b', secret('b', 2), after);
    expect(cache.get('b')).toBeUndefined();
    cache.store('b', undefined, after);
    expect(cache.get('b')).toMatchObject({ secret: undefined });
  });

  it('never stores what a read saw when its key changed while it ran, and keeps a newer entry than a late notification', () => {
    const cache = liveCache();
    const ticket = cache.ticket();
    cache.changed([{ key: 'a', version: 1, operation: 'metadata' }]);
    cache.store('a', secret('a', 1), ticket);
    expect(cache.get('a')).toBeUndefined();
    // Another key's change does not stop a read of this one.
    const second = cache.ticket();
    cache.changed([{ key: 'z', version: 1, operation: 'set' }]);
    cache.store('a', secret('a', 2), second);
    expect(cache.get('a')?.secret?.version).toBe(2);
    cache.changed([{ key: 'a', version: 1, operation: 'set' }]);
    expect(cache.get('a')?.secret?.version).toBe(2);
    cache.changed([{ key: 'a', version: 2, operation: 'metadata' }]);
    expect(cache.get('a')).toBeUndefined();
  });

  it('forgets the oldest notified keys past maxEntries without letting older reads store them', () => {
    const cache = liveCache({ maxEntries: 2 });
    const ticket = cache.ticket();
    cache.changed([{ key: 'a', version: 1, operation: 'set' }]);
    cache.changed([{ key: 'b', version: 1, operation: 'set' }]);
    cache.changed([{ key: 'c', version: 1, operation: 'set' }]);
    // 'a' left the bounded record of changes; a read older than its change still stores nothing.
    cache.store('a', secret('a', 1), ticket);
    expect(cache.get('a')).toBeUndefined();
    cache.store('a', secret('a', 1), cache.ticket());
    expect(cache.get('a')).toBeDefined();
  });

  it('stores a listing only when no change was heard while it ran, and drops it when a key under it changes', () => {
    const cache = liveCache();
    const ticket = cache.ticket();
    cache.changed([{ key: 'other', version: 1, operation: 'set' }]);
    cache.storeList('env/', [secret('env/a', 1)], ticket);
    expect(cache.getList('env/')).toBeUndefined();
    // Its secrets are stored one by one all the same: no change of theirs was heard.
    expect(cache.get('env/a')?.secret?.version).toBe(1);

    cache.storeList('env/', [secret('env/a', 1)], cache.ticket());
    expect(cache.getList('env/')).toHaveLength(1);
    cache.changed([{ key: 'envy', version: 1, operation: 'set' }]);
    expect(cache.getList('env/')).toHaveLength(1);
    cache.changed([{ key: 'env/new', version: 1, operation: 'set' }]);
    expect(cache.getList('env/')).toBeUndefined();
  });

  it('bypasses everything while changes are not heard, then starts empty', () => {
    const cache = liveCache();
    cache.store('a', secret('a', 1), cache.ticket());
    cache.lost();
    expect(cache.get('a')).toBeUndefined();
    expect(cache.staleKey('a')).toBeUndefined();
    cache.resumed();
    expect(cache.describe()).toEqual({ live: true, keys: 0, lists: 0 });
  });

  it('with staleIfErrorMillis, serves what it held while not hearing, within the window only', () => {
    let now = 1_000;
    const spy = jest.spyOn(performance, 'now').mockImplementation(() => now);
    try {
      const cache = liveCache({ staleIfErrorMillis: 500 });
      cache.store('a', secret('a', 1), cache.ticket());
      cache.storeList('p', [secret('p1', 1)], cache.ticket());
      cache.lost();
      expect(cache.get('a')).toBeUndefined();
      now += 400;
      expect(cache.staleKey('a')?.secret?.version).toBe(1);
      expect(cache.staleList('p')).toHaveLength(1);
      now += 200;
      expect(cache.staleKey('a')).toBeUndefined();
      expect(cache.describe().keys).toBe(0);
    } finally {
      spy.mockRestore();
    }
  });

  it('serves nothing stale that was past its TTL when changes stopped being heard', () => {
    let now = 0;
    const spy = jest.spyOn(performance, 'now').mockImplementation(() => now);
    try {
      const cache = liveCache({ ttlMillis: 50, staleIfErrorMillis: 1_000 });
      cache.store('old', secret('old', 1), cache.ticket());
      now = 40;
      cache.store('young', secret('young', 1), cache.ticket());
      now = 60;
      cache.lost();
      now = 100;
      expect(cache.staleKey('old')).toBeUndefined();
      expect(cache.staleKey('young')?.secret?.version).toBe(1);
    } finally {
      spy.mockRestore();
    }
  });

  it('does not store a listing that holds a secret older than a change heard of it', () => {
    const cache = liveCache();
    cache.changed([{ key: 'env/a', version: 3, operation: 'set' }]);
    const ticket = cache.ticket();
    cache.storeList('env/', [secret('env/a', 2), secret('env/b', 1)], ticket);
    expect(cache.getList('env/')).toBeUndefined();
    expect(cache.get('env/b')?.secret?.version).toBe(1);
    expect(cache.get('env/a')).toBeUndefined();
  });

  it('ends entries at their TTL and evicts the least recently used', () => {
    let now = 0;
    const spy = jest.spyOn(performance, 'now').mockImplementation(() => now);
    try {
      const cache = liveCache({ ttlMillis: 100, maxEntries: 2 });
      cache.store('a', secret('a', 1), cache.ticket());
      cache.store('b', secret('b', 1), cache.ticket());
      now = 50;
      cache.get('a');
      cache.store('c', secret('c', 1), cache.ticket());
      expect(cache.get('b')).toBeUndefined();
      expect(cache.get('a')).toBeDefined();
      now = 140;
      // 'a' was stored at 0 (a hit does not renew it), 'c' at 50.
      expect(cache.get('c')).toBeDefined();
      expect(cache.get('a')).toBeUndefined();
    } finally {
      spy.mockRestore();
    }
  });

  it('freezes values deeply', () => {
    const value = deepFreeze({ list: [{ n: 1 }] });
    expect(Object.isFrozen(value.list[0])).toBe(true);
  });
});

describe('change notifications', () => {
  it('reads a JSON array of an id and [key, version, operation] each, and nothing else', () => {
    expect(parseChanges('["3f2a",["a",1,"set"],["b\\"",2,"purge"]]')).toEqual([
      { key: 'a', version: 1, operation: 'set' },
      { key: 'b"', version: 2, operation: 'purge' },
    ]);
    for (const payload of [
      '',
      'x',
      '{}',
      'truncate',
      '[["a",1,"set"]]',
      '["id",["a",1]]',
      '["id",["a","1","set"]]',
      '["id",["a",1,"drop"]]',
      '["id",[1,1,"set"]]',
      '["id",["a",1.5,"set"]]',
    ]) {
      expect(parseChanges(payload)).toBeUndefined();
    }
  });

  it('tells subscribers that changes may have been missed when a notification cannot be read', async () => {
    let handlers: NotificationHandlers | undefined;
    const feed = new ChangeFeed((_channel, given) => {
      handlers = given;
      given.listening();
      return Promise.resolve({ listening: true, close: () => Promise.resolve() });
    });
    const told: string[] = [];
    const listener: ChangeListener = {
      changes: (changes) => told.push(...changes.map(({ key }) => key)),
      lost: () => told.push('lost'),
      live: () => told.push('live'),
    };
    const subscription = feed.subscribe(listener);
    await subscription.ready;
    expect(subscription.live).toBe(true);
    handlers?.notification('["id",["k",1,"set"]]');
    handlers?.notification('not json');
    expect(told).toEqual(['live', 'k', 'lost', 'live']);
    await subscription.unsubscribe();
    expect(subscription.live).toBe(false);
  });

  it('tells a subscriber of a listener that failed to start, and starts afresh for the next one', async () => {
    let attempts = 0;
    const feed = new ChangeFeed(() => {
      attempts++;
      return attempts === 1
        ? Promise.reject(new Error('cannot listen'))
        : Promise.resolve({ listening: true, close: () => Promise.resolve() });
    });
    const told: string[] = [];
    const listener: ChangeListener = {
      changes: () => undefined,
      lost: (error) => told.push(`lost: ${error.message}`),
      live: () => told.push('live'),
    };
    const failed = feed.subscribe(listener);
    await failed.ready;
    expect(failed.live).toBe(false);
    expect(told).toEqual(['lost: cannot listen']);
    const second = feed.subscribe(listener);
    const third = feed.subscribe(listener);
    await Promise.all([second.ready, third.ready]);
    expect(attempts).toBe(2);
    expect(second.live && third.live).toBe(true);
    // The connection closes with its last subscriber only; unsubscribing twice is harmless.
    await second.unsubscribe();
    await second.unsubscribe();
    expect(third.live).toBe(true);
    await third.unsubscribe();
    await failed.unsubscribe();
  });
});

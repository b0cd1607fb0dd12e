import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';

import { z } from 'zod';

import {
  EncryptionKey,
  parseEncryptionKeys,
  SecretCorruptError,
  SecretDecryptionError,
  SecretStore,
  SecretStoreConfigError,
  type EncryptionOptions,
  type SecretEncoding,
  type SecretRecord,
  type SecretStoreOptions,
  type SecretStoreRepository,
  type StoredValue,
} from '../../src';
import { createCodec } from '../../src/encryption/secret-codec';
import { editedValue, envelopeOf, flipFirstBit, sealedValue, triggerDevValue } from '../support/envelopes';
import { expectRejection, expectThrow } from '../support/errors';
import { expectNoKeyMaterial } from '../support/key-material';
import {
  mockSecretStoreRepository,
  storedRecord,
  storedValueOf,
  upsertedValue,
} from '../support/mock-secret-store-repository';

// Stands for a secret value: it must never show up in a stored value or an error.
const MARKER = 'sk_live_MARKER_0c4d7a';
const secret = { token: MARKER, scopes: ['read'] };
const anything = z.unknown();

const bytes1 = randomBytes(32);
const bytes2 = randomBytes(32);
const k1 = EncryptionKey.fromBytes(bytes1);
const k2 = EncryptionKey.fromBytes(bytes2);
const keyring = { keys: { k1, k2 }, activeKeyId: 'k1' } as const;
// trigger.dev's ENCRYPTION_KEY: 32 characters, used by trigger.dev as the key bytes in UTF-8.
const triggerDevKey = randomBytes(16).toString('hex');
const otherTriggerDevKey = randomBytes(16).toString('hex');
const materials = [bytes1, bytes2, triggerDevKey, otherTriggerDevKey];

let repository: jest.Mocked<SecretStoreRepository>;

beforeEach(() => {
  repository = mockSecretStoreRepository();
});

function storeWith(encryption: EncryptionOptions): SecretStore {
  return new SecretStore(repository, { encryption });
}

/** Reads `record` back through a store of `encryption`. */
function read(record: SecretRecord, encryption: EncryptionOptions = keyring): Promise<unknown> {
  repository.getSecret.mockResolvedValue(record);
  return storeWith(encryption).getSecret(anything, record.key);
}

/** The error reading `record` fails with, checked to be of `type` and `code` and to show neither the value nor a key. */
async function readFailure<E extends SecretDecryptionError | SecretCorruptError>(
  type: abstract new (...args: never[]) => E,
  code: E['code'],
  record: SecretRecord,
  encryption: EncryptionOptions = keyring,
): Promise<E> {
  const error = await expectRejection(read(record, encryption), type, code);
  const printed = `${error.message}\n${inspect(error, { showHidden: true, depth: Infinity })}`;
  expect(printed).not.toContain(MARKER);
  expectNoKeyMaterial(printed, materials);
  return error;
}

describe('configuration', () => {
  it.each<[string, unknown, string]>([
    ['no options at all', undefined, 'encryption'],
    ['no encryption option', {}, 'encryption'],
    ['encryption: undefined', { encryption: undefined }, 'encryption'],
    ['encryption: null', { encryption: null }, 'encryption'],
    ["a string other than 'none'", { encryption: 'aes-256-gcm' }, 'encryption'],
    ['encryption: {}', { encryption: {} }, 'encryption.keys'],
    ['keys: null', { encryption: { keys: null, activeKeyId: 'k1' } }, 'encryption.keys'],
    ['an empty keyring', { encryption: { keys: {}, activeKeyId: 'k1' } }, 'encryption.keys'],
    [
      'a key of 16 bytes',
      { encryption: { keys: { k1: randomBytes(16) }, activeKeyId: 'k1' } },
      'encryption.keys["k1"]',
    ],
    [
      'a key of 33 bytes',
      { encryption: { keys: { k1: randomBytes(33) }, activeKeyId: 'k1' } },
      'encryption.keys["k1"]',
    ],
    [
      'a key given as its base64 text',
      { encryption: { keys: { k1: bytes1.toString('base64') }, activeKeyId: 'k1' } },
      'encryption.keys["k1"]',
    ],
    ['a key given as a number', { encryption: { keys: { k1: 1 }, activeKeyId: 'k1' } }, 'encryption.keys["k1"]'],
    ['a key given as an object', { encryption: { keys: { k1: {} }, activeKeyId: 'k1' } }, 'encryption.keys["k1"]'],
    [
      'an object posing as an EncryptionKey',
      { encryption: { keys: { k1: Object.create(EncryptionKey.prototype) as EncryptionKey }, activeKeyId: 'k1' } },
      'encryption.keys["k1"]',
    ],
    ['a bad key id', { encryption: { keys: { 'k 1': k1 }, activeKeyId: 'k 1' } }, 'encryption.keys'],
    ['no activeKeyId', { encryption: { keys: { k1 } } }, 'encryption.activeKeyId'],
    [
      'an activeKeyId not in the keyring',
      { encryption: { keys: { k1 }, activeKeyId: 'k2' } },
      'encryption.activeKeyId',
    ],
    [
      'a legacyTriggerDevKey of 31 characters',
      { encryption: { ...keyring, legacyTriggerDevKey: triggerDevKey.slice(1) } },
      'encryption.legacyTriggerDevKey',
    ],
    [
      'a legacyTriggerDevKey of 33 characters',
      { encryption: { ...keyring, legacyTriggerDevKey: `${triggerDevKey}0` } },
      'encryption.legacyTriggerDevKey',
    ],
    [
      'a legacyTriggerDevKey of 32 characters but 33 UTF-8 bytes',
      { encryption: { ...keyring, legacyTriggerDevKey: `é${triggerDevKey.slice(1)}` } },
      'encryption.legacyTriggerDevKey',
    ],
    [
      'a legacyTriggerDevKey given as bytes',
      { encryption: { ...keyring, legacyTriggerDevKey: Buffer.from(triggerDevKey) } },
      'encryption.legacyTriggerDevKey',
    ],
    [
      'a legacyTriggerDevKey posing as an EncryptionKey',
      { encryption: { ...keyring, legacyTriggerDevKey: Object.create(EncryptionKey.prototype) as EncryptionKey } },
      'encryption.legacyTriggerDevKey',
    ],
    [
      'an empty legacyTriggerDevKey',
      { encryption: { ...keyring, legacyTriggerDevKey: '' } },
      'encryption.legacyTriggerDevKey',
    ],
    [
      "acceptPlaintext: 'false'",
      { encryption: { ...keyring, acceptPlaintext: 'false' } },
      'encryption.acceptPlaintext',
    ],
    ['acceptPlaintext: 0', { encryption: { ...keyring, acceptPlaintext: 0 } }, 'encryption.acceptPlaintext'],
    ['acceptPlaintext: null', { encryption: { ...keyring, acceptPlaintext: null } }, 'encryption.acceptPlaintext'],
  ])('refuses %s at construction, naming the setting and no key', (_, options, setting) => {
    const error = expectThrow(
      () => new SecretStore(repository, options as SecretStoreOptions),
      SecretStoreConfigError,
      'INVALID_CONFIGURATION',
    );

    expect(error).toMatchObject({ setting });
    expect(error.message).toContain(setting);
    expectNoKeyMaterial(error.message, materials);
    expectNoKeyMaterial(inspect(error, { showHidden: true, depth: Infinity }), materials);
  });

  it.each<[string, EncryptionOptions]>([
    ['EncryptionKey values', keyring],
    ['raw 32-byte keys', { keys: { k1: new Uint8Array(bytes1), k2: bytes2 }, activeKeyId: 'k1' }],
    ['the output of parseEncryptionKeys', parseEncryptionKeys(`k1:${bytes1.toString('base64')}`)],
    ['a legacy key and acceptPlaintext', { ...keyring, legacyTriggerDevKey: triggerDevKey, acceptPlaintext: false }],
  ])('accepts a keyring of %s, and reads what the others write', async (_, encryption) => {
    await storeWith(encryption).setSecret('svc/a', secret);
    const stored = upsertedValue(repository);

    await expect(read(storedRecord('svc/a', stored), keyring)).resolves.toEqual(secret);
    await expect(
      read(storedRecord('svc/a', await storedValueOf('svc/a', secret, keyring)), encryption),
    ).resolves.toEqual(secret);
  });
});

describe('writing', () => {
  it('stores an aes-256-gcm envelope under the active key id, with nothing of the value in clear', async () => {
    const stored = await storedValueOf('svc/a', secret, { ...keyring, activeKeyId: 'k2' });

    expect(stored).toMatchObject({ encoding: 'aes-256-gcm', keyId: 'k2' });
    expect(stored.valueJson).not.toContain(MARKER);
    const envelope = envelopeOf(stored);
    expect(Object.keys(envelope).sort()).toEqual(['ct', 'kid', 'nonce', 'tag', 'v']);
    expect(envelope).toMatchObject({ v: 2, kid: 'k2' });
    expect(Buffer.from(envelope.nonce as string, 'base64')).toHaveLength(12);
    expect(Buffer.from(envelope.tag as string, 'base64')).toHaveLength(16);
    // GCM ciphertext is as long as the plaintext, the value's JSON text.
    expect(Buffer.from(envelope.ct as string, 'base64')).toHaveLength(Buffer.byteLength(JSON.stringify(secret)));
  });

  it('writes the envelope text exactly as JSON.stringify would, with a distinct nonce across nonce blocks', () => {
    const codec = createCodec(keyring);
    const nonces = new Set<string>();
    // 2,000 writes span four blocks of pre-drawn nonces.
    for (let write = 0; write < 2_000; write++) {
      const { valueJson } = codec.encode('svc/a', '{"a":1}', 'write-1');
      const envelope = JSON.parse(valueJson) as Record<string, unknown>;
      expect(valueJson).toBe(
        JSON.stringify({ v: envelope.v, kid: envelope.kid, nonce: envelope.nonce, ct: envelope.ct, tag: envelope.tag }),
      );
      nonces.add(envelope.nonce as string);
      const stored = { valueJson, encoding: 'aes-256-gcm' as const, keyId: keyring.activeKeyId, writeId: 'write-1' };
      expect(codec.decode('svc/a', stored)).toBe('{"a":1}');
    }
    expect(nonces.size).toBe(2_000);
  });

  it('uses a fresh nonce for every write of the same value', async () => {
    const first = envelopeOf(await storedValueOf('svc/a', secret, keyring));
    const second = envelopeOf(await storedValueOf('svc/a', secret, keyring));

    expect(second.nonce).not.toBe(first.nonce);
    expect(second.ct).not.toBe(first.ct);
  });

  it('writes what an envelope sealed by the README scheme opens to, and opens such an envelope', async () => {
    const sealed = sealedValue(bytes1, 'k1', 'svc/a', JSON.stringify(secret));

    await expect(read(storedRecord('svc/a', sealed))).resolves.toEqual(secret);
  });
});

describe('reading', () => {
  it.each<[string, (store: SecretStore) => Promise<unknown>, unknown]>([
    ['getSecret', (store) => store.getSecret(anything, 'svc/a'), secret],
    ['getSecretOrThrow', (store) => store.getSecretOrThrow(anything, 'svc/a'), secret],
    [
      'getSecrets',
      (store) => store.getSecrets(anything, 'svc/'),
      [
        { key: 'svc/a', value: secret },
        { key: 'svc/b', value: { n: 2 } },
      ],
    ],
    [
      'getSecretsByKeys',
      (store) => store.getSecretsByKeys(anything, ['svc/a', 'svc/b']),
      [
        { key: 'svc/a', value: secret },
        { key: 'svc/b', value: { n: 2 } },
      ],
    ],
  ])('%s decrypts each record with the key its envelope names', async (_, call, expected) => {
    const records = [
      storedRecord('svc/a', await storedValueOf('svc/a', secret, keyring)),
      storedRecord('svc/b', await storedValueOf('svc/b', { n: 2 }, { ...keyring, activeKeyId: 'k2' })),
    ];
    repository.getSecret.mockResolvedValue(records[0]);
    repository.listSecretsByPrefix.mockResolvedValue(records);
    repository.getSecretsByKeys.mockResolvedValue(records);

    await expect(call(storeWith(keyring))).resolves.toEqual(expected);
  });

  describe('a tampered aes-256-gcm record', () => {
    it('moved onto another key fails with SecretDecryptionError naming the key it was read as', async () => {
      const stored = await storedValueOf('svc/a', secret, keyring);

      const error = await readFailure(SecretDecryptionError, 'SECRET_DECRYPTION_FAILED', storedRecord('svc/b', stored));

      expect(error).toMatchObject({ key: 'svc/b', keyId: 'k1' });
      expect(error.message).toContain('"svc/b"');
    });

    it.each<[string, (envelope: Record<string, unknown>) => Record<string, unknown>, string]>([
      ['relabelled with another key id of the keyring', (e) => ({ ...e, kid: 'k2' }), 'k2'],
      ['naming a key id not in the keyring', (e) => ({ ...e, kid: 'k9' }), 'k9'],
      ['with a bit of the ciphertext flipped', (e) => ({ ...e, ct: flipFirstBit(e.ct) }), 'k1'],
      ['with a bit of the tag flipped', (e) => ({ ...e, tag: flipFirstBit(e.tag) }), 'k1'],
      ['with a bit of the nonce flipped', (e) => ({ ...e, nonce: flipFirstBit(e.nonce) }), 'k1'],
      [
        'with the ciphertext truncated',
        (e) => ({
          ...e,
          ct: Buffer.from(e.ct as string, 'base64')
            .subarray(1)
            .toString('base64'),
        }),
        'k1',
      ],
    ])('%s fails with SecretDecryptionError', async (_, edit, keyId) => {
      const stored = editedValue(await storedValueOf('svc/a', secret, keyring), edit);

      const error = await readFailure(SecretDecryptionError, 'SECRET_DECRYPTION_FAILED', storedRecord('svc/a', stored));

      expect(error).toMatchObject({ key: 'svc/a', keyId });
    });

    it('relabelled with another id of the same key bytes fails: the key id is authenticated', async () => {
      const aliased = { keys: { k1, alias: bytes1 }, activeKeyId: 'k1' };
      const stored = editedValue(await storedValueOf('svc/a', secret, aliased), (e) => ({ ...e, kid: 'alias' }));

      const error = await readFailure(
        SecretDecryptionError,
        'SECRET_DECRYPTION_FAILED',
        storedRecord('svc/a', stored),
        aliased,
      );

      expect(error).toMatchObject({ key: 'svc/a', keyId: 'alias' });
    });

    it('under a key id not in the keyring says so', async () => {
      const stored = await storedValueOf('svc/a', secret, {
        keys: { k3: EncryptionKey.generate() },
        activeKeyId: 'k3',
      });

      const error = await readFailure(SecretDecryptionError, 'SECRET_DECRYPTION_FAILED', storedRecord('svc/a', stored));

      expect(error).toMatchObject({ keyId: 'k3' });
      expect(error.message).toContain('not in the keyring');
    });
  });

  describe('a malformed aes-256-gcm record', () => {
    it.each<[string, (valueJson: string) => string]>([
      ['text that is not JSON', () => '{"v":1,'],
      ['an array', () => '[]'],
      ['null', () => 'null'],
      ['a string', () => '"envelope"'],
      ['a missing field', (json) => JSON.stringify({ ...JSON.parse(json), tag: undefined })],
      ['an extra field', (json) => JSON.stringify({ ...JSON.parse(json), aad: 'x' })],
      ['version 3', (json) => JSON.stringify({ ...JSON.parse(json), v: 3 })],
      ['a version as text', (json) => JSON.stringify({ ...JSON.parse(json), v: '2' })],
      ['a numeric key id', (json) => JSON.stringify({ ...JSON.parse(json), kid: 1 })],
      ['a nonce that is not base64', (json) => JSON.stringify({ ...JSON.parse(json), nonce: 'not base64!' })],
      ['a numeric nonce', (json) => JSON.stringify({ ...JSON.parse(json), nonce: 12 })],
      ['a ciphertext that is not base64', (json) => JSON.stringify({ ...JSON.parse(json), ct: '%%%%' })],
      ['a ciphertext with a line break', (json) => editField(json, 'ct', (ct) => `${ct.slice(0, 8)}\n${ct.slice(8)}`)],
      ['a ciphertext cut mid-group', (json) => editField(json, 'ct', (ct) => ct.slice(0, -1))],
      ['a URL-safe base64 tag', (json) => editField(json, 'tag', urlSafeBase64)],
      [
        'a nonce of 8 bytes',
        (json) => JSON.stringify({ ...JSON.parse(json), nonce: randomBytes(8).toString('base64') }),
      ],
      ['a tag of 12 bytes', (json) => JSON.stringify({ ...JSON.parse(json), tag: randomBytes(12).toString('base64') })],
    ])('with %s fails with SecretCorruptError', async (_, edit) => {
      const stored = await storedValueOf('svc/a', secret, keyring);

      const error = await readFailure(
        SecretCorruptError,
        'SECRET_CORRUPT',
        storedRecord('svc/a', { ...stored, valueJson: edit(stored.valueJson) }),
      );

      expect(error).toMatchObject({ key: 'svc/a', code: 'SECRET_CORRUPT' });
    });

    it('relabelled as version 1 (no write binding) fails to decrypt: the binding cannot be stripped', async () => {
      const stored = await storedValueOf('svc/a', secret, keyring);
      const relabelled = JSON.stringify({ ...JSON.parse(stored.valueJson), v: 1 });

      await readFailure(
        SecretDecryptionError,
        'SECRET_DECRYPTION_FAILED',
        storedRecord('svc/a', { ...stored, valueJson: relabelled }),
      );
    });

    it('read as another write (its write id changed) fails to decrypt', async () => {
      const stored = await storedValueOf('svc/a', secret, keyring);

      await readFailure(
        SecretDecryptionError,
        'SECRET_DECRYPTION_FAILED',
        storedRecord('svc/a', { ...stored, writeId: 'another-write' }),
      );
    });

    it('that decrypts to text that is not JSON fails with SecretCorruptError', async () => {
      const stored = sealedValue(bytes1, 'k1', 'svc/a', `{"token":"${MARKER}"`);

      const error = await readFailure(SecretCorruptError, 'SECRET_CORRUPT', storedRecord('svc/a', stored));

      expect(error).toMatchObject({ key: 'svc/a', reason: 'the stored value is not JSON' });
    });
  });

  describe('a plain record', () => {
    const plain = storedRecord('svc/a', { valueJson: JSON.stringify(secret), encoding: 'plain', keyId: null });

    it.each<[string, boolean | undefined]>([
      ['by default', undefined],
      ['with acceptPlaintext: true', true],
    ])('reads as its value %s', async (_, acceptPlaintext) => {
      await expect(read(plain, { ...keyring, acceptPlaintext })).resolves.toEqual(secret);
    });

    it('fails with SecretDecryptionError with acceptPlaintext: false', async () => {
      const error = await readFailure(SecretDecryptionError, 'SECRET_DECRYPTION_FAILED', plain, {
        ...keyring,
        acceptPlaintext: false,
      });

      expect(error).toMatchObject({ key: 'svc/a', keyId: undefined });
      expect(error.message).toContain('plaintext');
    });
  });

  it('fails with SecretCorruptError on a record of an unknown encoding', async () => {
    const stored = await storedValueOf('svc/a', secret, keyring);
    const record = storedRecord('svc/a', { ...stored, encoding: 'aes-512-gcm' as SecretEncoding });

    await expect(readFailure(SecretCorruptError, 'SECRET_CORRUPT', record)).resolves.toMatchObject({ key: 'svc/a' });
  });

  it.each<[string, () => StoredValue]>([
    ['an aes-256-gcm record', () => sealedValue(bytes1, 'k1', 'svc/a', JSON.stringify(secret))],
    ['a trigger.dev record', () => triggerDevValue(triggerDevKey, JSON.stringify(secret))],
  ])("fails with SecretDecryptionError on %s when the store has encryption 'none'", async (_, stored) => {
    const error = await readFailure(
      SecretDecryptionError,
      'SECRET_DECRYPTION_FAILED',
      storedRecord('svc/a', stored()),
      'none',
    );

    expect(error.message).toContain('no keyring');
  });
});

describe('trigger.dev records', () => {
  const legacy = { ...keyring, legacyTriggerDevKey: triggerDevKey };
  const record = () => storedRecord('svc/a', triggerDevValue(triggerDevKey, JSON.stringify(secret)));

  it.each<[string, string | EncryptionKey]>([
    ['its ENCRYPTION_KEY string', triggerDevKey],
    ["that string's bytes as an EncryptionKey", EncryptionKey.fromBytes(Buffer.from(triggerDevKey, 'utf8'))],
  ])('read with legacyTriggerDevKey given as %s', async (_, legacyTriggerDevKey) => {
    await expect(read(record(), { ...keyring, legacyTriggerDevKey })).resolves.toEqual(secret);
  });

  it('read in the JSONB text form PostgreSQL returns them', async () => {
    const { nonce, ciphertext, tag } = envelopeOf(record());
    const valueJson = `{"tag": "${String(tag)}", "nonce": "${String(nonce)}", "ciphertext": "${String(ciphertext)}"}`;

    await expect(read(storedRecord('svc/a', { ...record(), valueJson }), legacy)).resolves.toEqual(secret);
  });

  it.each<[string, EncryptionOptions]>([
    ['without a legacy key', keyring],
    ['with another legacy key', { ...keyring, legacyTriggerDevKey: otherTriggerDevKey }],
  ])('fail with SecretDecryptionError %s', async (_, encryption) => {
    await expect(
      readFailure(SecretDecryptionError, 'SECRET_DECRYPTION_FAILED', record(), encryption),
    ).resolves.toMatchObject({
      key: 'svc/a',
    });
  });

  it.each<[string, (envelope: Record<string, unknown>) => Record<string, unknown>]>([
    ['a flipped ciphertext bit', (e) => ({ ...e, ciphertext: flipFirstBit(e.ciphertext, 'hex') })],
    ['a flipped tag bit', (e) => ({ ...e, tag: flipFirstBit(e.tag, 'hex') })],
  ])('with %s fail with SecretDecryptionError', async (_, edit) => {
    const tampered = storedRecord('svc/a', editedValue(record(), edit));

    await expect(
      readFailure(SecretDecryptionError, 'SECRET_DECRYPTION_FAILED', tampered, legacy),
    ).resolves.toMatchObject({ key: 'svc/a' });
  });

  it.each<[string, (stored: StoredValue) => StoredValue]>([
    ['text that is not JSON', (stored) => ({ ...stored, valueJson: 'nonce' })],
    ['a missing tag', (stored) => editedValue(stored, (e) => ({ ...e, tag: undefined }))],
    ['uppercase hex', (stored) => editedValue(stored, (e) => ({ ...e, nonce: String(e.nonce).toUpperCase() }))],
    ['a nonce of 16 bytes', (stored) => editedValue(stored, (e) => ({ ...e, nonce: randomBytes(16).toString('hex') }))],
    ['plaintext that is not JSON', () => triggerDevValue(triggerDevKey, `{"token":"${MARKER}"`)],
  ])('with %s fail with SecretCorruptError', async (_, edit) => {
    const corrupt = storedRecord('svc/a', edit(record()));

    await expect(readFailure(SecretCorruptError, 'SECRET_CORRUPT', corrupt, legacy)).resolves.toMatchObject({
      key: 'svc/a',
    });
  });
});

describe('printing a store', () => {
  it.each<[string, EncryptionOptions, Record<string, unknown>]>([
    [
      'a keyring',
      { ...keyring, legacyTriggerDevKey: triggerDevKey },
      {
        encryption: 'aes-256-gcm',
        activeKeyId: 'k1',
        keyIds: ['k1', 'k2'],
        legacyTriggerDevKey: '<configured>',
        acceptPlaintext: true,
      },
    ],
    ["encryption 'none'", 'none', { encryption: 'none' }],
  ])('shows the configuration of %s', (_, encryption, shown) => {
    const store = storeWith(encryption);

    expect(store.toJSON()).toMatchObject({ ...shown, maxValueBytes: 1024 * 1024 });
    expect(JSON.parse(JSON.stringify(store))).toMatchObject(shown);
    expect(inspect(store)).toMatch(/^SecretStore \{/);
  });

  it('leaves legacyTriggerDevKey out when none is configured', () => {
    const store = storeWith(keyring);

    expect(store.toJSON().legacyTriggerDevKey).toBeUndefined();
    expect(JSON.stringify(store)).not.toContain('legacyTriggerDevKey');
  });

  it('shows nothing of its insides through util.inspect without custom inspection: its state is private', () => {
    const printed = inspect(storeWith({ ...keyring, legacyTriggerDevKey: triggerDevKey }), {
      customInspect: false,
      showHidden: true,
      depth: Infinity,
    });

    expect(printed).toBe('SecretStore {}');
  });

  it.each<[string, (store: SecretStore) => string]>([
    ['JSON.stringify', (store) => JSON.stringify(store)],
    ['util.inspect', (store) => inspect(store, { showHidden: true, depth: Infinity })],
    ['describe()', (store) => JSON.stringify(store.describe())],
  ])('shows key ids but no key material through %s', (_, print) => {
    const legacyKeys = [triggerDevKey, EncryptionKey.fromBytes(Buffer.from(triggerDevKey, 'utf8'))];
    for (const legacyTriggerDevKey of legacyKeys) {
      const printed = print(storeWith({ ...keyring, legacyTriggerDevKey }));

      expect(printed).toContain('k1');
      expect(printed).toContain('k2');
      expectNoKeyMaterial(printed, materials);
    }
  });
});

it('keeps a key id of "__proto__" from parseEncryptionKeys an ordinary key', async () => {
  const encryption = parseEncryptionKeys(`__proto__:${bytes1.toString('base64')}`);

  const stored = await storedValueOf('svc/a', secret, encryption);

  expect(stored.keyId).toBe('__proto__');
  await expect(read(storedRecord('svc/a', stored), { keys: { k1 }, activeKeyId: 'k1' })).rejects.toMatchObject({
    keyId: '__proto__',
  });
  await expect(read(storedRecord('svc/a', stored), encryption)).resolves.toEqual(secret);
});

/** The envelope text with one of its fields rewritten. */
function editField(json: string, field: string, edit: (text: string) => string): string {
  const envelope = JSON.parse(json) as Record<string, string>;
  return JSON.stringify({ ...envelope, [field]: edit(envelope[field]) });
}

/** The same bytes in the URL-safe alphabet, with at least one character that differs from standard base64. */
function urlSafeBase64(text: string): string {
  const bytes = Buffer.from(text, 'base64');
  const urlSafe = bytes.toString('base64url');
  return /[-_]/.test(urlSafe) ? urlSafe.padEnd(text.length, '=') : `-${urlSafe.slice(1)}`.padEnd(text.length, '=');
}

// The package from ESM: a real store on an in-memory embedded PGlite, read back through a zod schema.
import assert from 'node:assert/strict';

import { PGlite } from '@electric-sql/pglite';
import { createSecretStore, generateEncryptionKey, parseEncryptionKeys, SecretStoreError } from '@kongflow/secretstore';
import { z } from 'zod';

const Client = z.object({ client_id: z.string(), scopes: z.array(z.string()) });

const db = await PGlite.create();
try {
  const store = await createSecretStore({
    db,
    migrate: true,
    encryption: parseEncryptionKeys(`k1:${generateEncryptionKey()}`),
  });
  await store.setSecret('oauth.github', { client_id: 'esm', scopes: ['repo'] });
  assert.deepEqual(await store.getSecret(Client, 'oauth.github'), { client_id: 'esm', scopes: ['repo'] });
  await assert.rejects(
    store.setSecret('', {}),
    (error) => error instanceof SecretStoreError && error.code === 'INVALID_SECRET_KEY',
  );
  console.log('esm: ok');
} finally {
  await db.close();
}

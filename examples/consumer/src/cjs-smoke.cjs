// The package from CommonJS: a real store on an in-memory embedded PGlite, read back through a zod schema.
const assert = require('node:assert/strict');

const { PGlite } = require('@electric-sql/pglite');
const {
  createSecretStore,
  generateEncryptionKey,
  parseEncryptionKeys,
  SecretStoreError,
} = require('@kongflow/secretstore');
const { z } = require('zod');

const Client = z.object({ client_id: z.string(), scopes: z.array(z.string()) });

async function main() {
  const db = await PGlite.create();
  try {
    const store = await createSecretStore({
      db,
      migrate: true,
      encryption: parseEncryptionKeys(`k1:${generateEncryptionKey()}`),
    });
    await store.setSecret('oauth.github', { client_id: 'cjs', scopes: ['repo'] });
    assert.deepEqual(await store.getSecret(Client, 'oauth.github'), { client_id: 'cjs', scopes: ['repo'] });
    await assert.rejects(
      store.setSecret('', {}),
      (error) => error instanceof SecretStoreError && error.code === 'INVALID_SECRET_KEY',
    );
    console.log('cjs: ok');
  } finally {
    await db.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

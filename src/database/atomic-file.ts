import { randomBytes } from 'node:crypto';
import { link, open, unlink } from 'node:fs/promises';
import { codeOf } from '../unknown-value';

/**
 * Publishes a new file all at once: `text` is written to a private temporary file beside `target` (0600),
 * synced, then linked into place, so that no one ever sees it half written. link() fails when `target`
 * exists, where rename() would replace a file another process just published: then nothing changes, and
 * the result is false.
 */
export async function publishNewFile(target: string, text: string): Promise<boolean> {
  const temporary = `${target}.${randomBytes(8).toString('hex')}.tmp`;
  const handle = await open(temporary, 'wx', 0o600);
  try {
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await link(temporary, target);
    return true;
  } catch (error) {
    if (codeOf(error) === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}

/** Makes a new name in `folder` durable; where a folder cannot be synced (Windows) the synced file remains. */
export async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

import { randomBytes } from 'node:crypto';

import { NONCE_BYTES } from './aes-gcm';

/**
 * Fresh random nonces, drawn from the CSPRNG a block at a time: one randomBytes call serves 512 writes. Each
 * nonce is its own 12 bytes of a block that is never written again, so no two writes share one.
 */
export class NonceSource {
  private static readonly PER_BLOCK = 512;
  private block = Buffer.alloc(0);
  private offset = 0;

  next(): Buffer {
    if (this.offset + NONCE_BYTES > this.block.length) {
      this.block = randomBytes(NONCE_BYTES * NonceSource.PER_BLOCK);
      this.offset = 0;
    }
    const nonce = this.block.subarray(this.offset, this.offset + NONCE_BYTES);
    this.offset += NONCE_BYTES;
    return nonce;
  }
}

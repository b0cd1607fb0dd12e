import {
  DatabaseUnavailableError,
  SecretStoreConfigError,
  SecretWriteOutcomeUnknownError,
  describeKey,
} from '../errors';
import { nonNegativeInteger, positiveInteger } from '../whole-number';

/**
 * How operations are retried after DATABASE_UNAVAILABLE (the README's "Lost connections, retries and
 * timeouts" says which operations, and why): reads always, writes when nothing was sent or when the store can
 * tell that the lost write did not land; nothing inside `transaction()`.
 */
export interface RetryOptions {
  /** Attempts in all, the first one included. Default 3; 1 turns retries off. */
  attempts?: number;
  /** Wait before the first retry in milliseconds, doubled for each further one, with jitter. Default 100. */
  delayMillis?: number;
}

const DEFAULT_RETRY_ATTEMPTS = 3;
const DEFAULT_RETRY_DELAY_MILLIS = 100;

/** RetryOptions, validated and with defaults. */
export interface RetryPolicy {
  readonly attempts: number;
  readonly delayMillis: number;
}

/** The policy of a transaction's store: its connection is gone with the error, so nothing is attempted again. */
export const NO_RETRY: RetryPolicy = { attempts: 1, delayMillis: 0 };

export function retryPolicy(options: RetryOptions | undefined): RetryPolicy {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new SecretStoreConfigError('retry', 'must be { attempts, delayMillis }');
  }
  return {
    attempts: positiveInteger('retry.attempts', options?.attempts, DEFAULT_RETRY_ATTEMPTS),
    delayMillis: nonNegativeInteger('retry.delayMillis', options?.delayMillis, DEFAULT_RETRY_DELAY_MILLIS),
  };
}

/** The connection was lost (or never made): worth another attempt, unlike a write whose outcome is unknown. */
function isTransient(error: unknown): error is DatabaseUnavailableError {
  return error instanceof DatabaseUnavailableError && !(error instanceof SecretWriteOutcomeUnknownError);
}

function pause(policy: RetryPolicy, attempt: number): Promise<void> {
  // Full jitter between half and all of the doubled delay keeps many clients from retrying in step.
  const ceiling = policy.delayMillis * 2 ** (attempt - 1);
  return new Promise((resolve) => setTimeout(resolve, ceiling / 2 + Math.random() * (ceiling / 2)));
}

/** A read, attempted again after a lost connection: reading twice changes nothing. */
export function readWithRetry<T>(policy: RetryPolicy, work: () => Promise<T>): Promise<T> {
  // The first attempt costs no extra async frame: most reads succeed.
  return work().catch((error: unknown) => readAgain(policy, work, error));
}

async function readAgain<T>(policy: RetryPolicy, work: () => Promise<T>, firstError: unknown): Promise<T> {
  let error = firstError;
  for (let attempt = 1; ; attempt++) {
    if (attempt >= policy.attempts || !isTransient(error)) throw error;
    await pause(policy, attempt);
    try {
      return await work();
    } catch (next) {
      error = next;
    }
  }
}

/** What to do when a write's connection is lost after it was sent. */
export interface LostWrite<T> {
  /**
   * Looks for the write in the database: its result when the write is there (it landed), undefined when it
   * is not, or when that cannot be told.
   */
  landed?: () => Promise<T | undefined>;
  /** Whether sending the write again leaves the same value (an unconditional upsert) rather than a second change. */
  resendAfterLoss: boolean;
}

/**
 * Sends a write, and sends it again after a lost connection only where that is safe. When nothing reached
 * the server it is resent, up to the policy's attempts. When it may have reached the server, `landed` looks
 * for it: found, its result ends the call; not found, the write is resent only if `resendAfterLoss`, else
 * its outcome is unknown (WRITE_OUTCOME_UNKNOWN), and the caller reads and decides.
 */
export async function sendWrite<T>(
  policy: RetryPolicy,
  operation: string,
  key: string | undefined,
  send: () => Promise<T>,
  afterLoss: LostWrite<T>,
): Promise<T> {
  // Once an attempt may have reached the server, running out of attempts leaves the outcome unknown, even when
  // the last attempt could not connect (a failover: the old primary gone, the new one not yet there).
  let mayHaveLanded = false;
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      if (!isTransient(error)) throw error;
      if (error.requestSent) {
        mayHaveLanded = true;
        const landed = await afterLoss.landed?.();
        if (landed !== undefined) return landed;
        if (!afterLoss.resendAfterLoss || attempt >= policy.attempts) throw outcomeUnknown(operation, key);
      } else if (attempt >= policy.attempts) {
        throw mayHaveLanded ? outcomeUnknown(operation, key) : error;
      }
      await pause(policy, attempt);
    }
  }
}

function outcomeUnknown(operation: string, key: string | undefined): SecretWriteOutcomeUnknownError {
  const subject = key === undefined ? operation : `${operation} ${describeKey(key)}`;
  return new SecretWriteOutcomeUnknownError(
    subject,
    key,
    'the connection was lost after the write was sent, and whether it was applied cannot be told; read it back to find out',
  );
}

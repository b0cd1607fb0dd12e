import { type Pool } from 'pg';

/** What the connections of one pool exchanged with the server during one call. */
export interface Exchange {
  /** Messages the server ended with ReadyForQuery: each is one wait on the server. */
  roundTrips: number;
  /** Statements the server completed (CommandComplete). */
  statements: number;
}

/**
 * Counts the round trips and statements of every connection `pool` opens, as the server answers them: the
 * protocol's own count, whatever the store sends (named or unnamed, one statement or several). Attach it
 * before the pool opens its first connection.
 */
export class RoundTripCounter {
  #roundTrips = 0;
  #statements = 0;

  constructor(pool: Pool) {
    pool.on('connect', (client) => {
      client.connection.on('readyForQuery', () => this.#roundTrips++);
      client.connection.on('commandComplete', () => this.#statements++);
    });
  }

  /** What `call` exchanged with the server; nothing else may use the pool meanwhile. */
  async during(call: () => Promise<unknown>): Promise<Exchange> {
    const roundTrips = this.#roundTrips;
    const statements = this.#statements;
    await call();
    return { roundTrips: this.#roundTrips - roundTrips, statements: this.#statements - statements };
  }
}

import type { PGliteLike, PGliteResultLike, PGliteTransactionLike } from './database';

/** The part of PGlite a shared session uses: its calls, and its wire protocol for the socket's connections. */
export interface SessionPGlite extends PGliteLike {
  readonly closed: boolean;
  isInTransaction(): boolean;
  /** Runs `work` holding PGlite's query lock, as its own queries do. */
  runExclusive<T>(work: () => Promise<T>): Promise<T>;
  execProtocolRaw(message: Uint8Array): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Gives back the session taken by `SharedPGliteSession.take`; calling it again does nothing. */
export type SessionRelease = () => void;

/**
 * The one session of a PGlite database, taken in turns by the process that opened it and by each connection
 * to its socket. A party keeps its turn until the session is idle again (no transaction open, no extended-
 * protocol exchange under way), so that nobody's statements ever run inside somebody else's transaction.
 */
export class SharedPGliteSession {
  /** Resolves when the last turn asked for has been given back. */
  #tail: Promise<void> = Promise.resolve();
  /** The opening process's current turn, shared by its concurrent calls. */
  #ownTurn: Promise<SessionRelease> | undefined;
  #ownCalls = 0;

  constructor(readonly db: SessionPGlite) {}

  /** Waits for the session (first come, first served) and returns what gives it back. */
  take(): Promise<SessionRelease> {
    let giveBack!: () => void;
    const returned = new Promise<void>((resolve) => (giveBack = resolve));
    const turn = this.#tail.then(() => {
      let released = false;
      return () => {
        if (released) return;
        released = true;
        giveBack();
      };
    });
    this.#tail = this.#tail.then(() => returned);
    return turn;
  }

  /** Whether the session is inside a transaction block (open or failed); false once PGlite is closed. */
  inTransaction(): boolean {
    return !this.db.closed && this.db.isInTransaction();
  }

  /**
   * Runs one of the opening process's own calls in its turn. Its calls share the turn, as they share PGlite's
   * session; the turn is given back when none is running and no transaction is left open.
   */
  async #asOwner<T>(work: () => Promise<T>): Promise<T> {
    this.#ownCalls += 1;
    try {
      this.#ownTurn ??= this.take();
      await this.#ownTurn;
      return await work();
    } finally {
      this.#ownCalls -= 1;
      const turn = this.#ownTurn;
      if (this.#ownCalls === 0 && turn !== undefined && !this.inTransaction()) {
        this.#ownTurn = undefined;
        (await turn)();
      }
    }
  }

  /** The opening process's view of the database: PGlite's calls, each waiting for the process's turn. */
  ownerView(): PGliteLike {
    const { db } = this;
    return {
      query: (text: string, params?: unknown[]): Promise<PGliteResultLike> =>
        this.#asOwner(() => db.query(text, params)),
      exec: (text: string): Promise<PGliteResultLike[]> => this.#asOwner(() => db.exec(text)),
      transaction: <T>(callback: (tx: PGliteTransactionLike) => Promise<T>): Promise<T> =>
        this.#asOwner(() => db.transaction(callback)),
    };
  }
}

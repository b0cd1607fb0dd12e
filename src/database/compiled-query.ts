import type { PreparedQuery } from '@pgtyped/runtime';

import type { Database } from './queryable';

/** Stands for one parameter while the query is compiled; no real value looks like it. */
const sentinel = (name: string): string => `\u0000@kongflow/secretstore:parameter:${name}`;

// A result column named "col!" or "col?" is renamed row by row by pgtyped's run(); compiled queries skip that.
const SUFFIXED_COLUMN = /AS\s+"[^"]*[!?]"/i;

/**
 * A pgtyped query reduced once to its SQL text and the order of its parameters, so that a call only binds
 * values and sends the statement: pgtyped's run() processes the query again on every call and walks every
 * column of every row to rename suffixed columns. For queries whose parameters are scalars (arrays bound as
 * one `text[]` value included, `(...)` list expansions not) and whose result columns carry no suffix.
 */
export class CompiledQuery<Params, Result> {
  private constructor(
    readonly text: string,
    private readonly parameters: readonly (keyof Params & string)[],
  ) {}

  /**
   * Runs `query` once against a connection that only records what it is sent, with a sentinel for each of
   * `parameters`, and reads the text and the order of the values from that. Throws when the query does not
   * reduce to that shape, so that a change in the query or in pgtyped is caught at the first call.
   */
  static async compile<Params, Result>(
    query: PreparedQuery<Params, Result>,
    parameters: readonly (keyof Params & string)[],
  ): Promise<CompiledQuery<Params, Result>> {
    let sent: { text: string; values: unknown[] } | undefined;
    const recorder = {
      query: (text: string, values: unknown[]) => {
        sent = { text, values };
        return Promise.resolve({ rows: [], rowCount: 0 });
      },
    };
    const placeholders = Object.fromEntries(parameters.map((name) => [name, sentinel(name)])) as Params;
    await query.run(placeholders, recorder);
    if (sent === undefined) throw new Error('the query sent nothing while being compiled');
    const order = sent.values.map((value) => parameters.find((name) => sentinel(name) === value));
    if (order.some((name) => name === undefined) || new Set(order).size !== parameters.length) {
      throw new Error(`the query does not bind exactly the parameters ${parameters.join(', ')}, each once`);
    }
    if (SUFFIXED_COLUMN.test(sent.text)) throw new Error('the query renames result columns ("col!")');
    return new CompiledQuery(sent.text, order as (keyof Params & string)[]);
  }

  run(params: Params, db: Database): Promise<Result[]> {
    const values = this.parameters.map((name) => params[name]);
    return db.statement(this.text, values).then((result) => result.rows as Result[]);
  }
}

/** A query compiled at its first use; once compiled, a call goes straight to the compiled statement. */
export interface LazyCompiledQuery<Params, Result> {
  run(params: Params, db: Database): Promise<Result[]>;
}

export function compiledOnce<Params, Result>(
  query: PreparedQuery<Params, Result>,
  parameters: readonly (keyof Params & string)[],
): LazyCompiledQuery<Params, Result> {
  let compiled: CompiledQuery<Params, Result> | undefined;
  let compiling: Promise<CompiledQuery<Params, Result>> | undefined;
  return {
    run(params, db) {
      if (compiled) return compiled.run(params, db);
      compiling ??= CompiledQuery.compile(query, parameters).then((done) => (compiled = done));
      return compiling.then((done) => done.run(params, db));
    },
  };
}

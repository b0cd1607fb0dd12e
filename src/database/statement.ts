import type { Database } from './database';

/**
 * One query of `sql/*.sql` as `npm run codegen` reduces it (src/generated/*.statements.ts): its SQL text with
 * `$n` placeholders, and the parameter bound to each `$n`, in order. `Params` and `Result` are pgtyped's types.
 */
export interface Statement<Params, Result> {
  readonly text: string;
  readonly params: readonly (keyof Params & string)[];
  /** Never set: it carries the type of one row to runStatement. */
  readonly row?: Result;
}

/** Runs `statement` with `params` bound to its placeholders; its rows as pgtyped typed them. */
export function runStatement<Params, Result>(
  statement: Statement<Params, Result>,
  params: NoInfer<Params>,
  db: Database,
): Promise<Result[]> {
  const values = statement.params.map((name) => params[name]);
  return db.statement(statement.text, values).then((result) => result.rows as Result[]);
}

/** Like runStatement, for a read that a replica may serve (one that a store of replicas sends there). */
export function runRead<Params, Result>(
  statement: Statement<Params, Result>,
  params: NoInfer<Params>,
  db: Database,
): Promise<Result[]> {
  const values = statement.params.map((name) => params[name]);
  const result =
    db.readStatement === undefined ? db.statement(statement.text, values) : db.readStatement(statement.text, values);
  return result.then((answer) => answer.rows as Result[]);
}

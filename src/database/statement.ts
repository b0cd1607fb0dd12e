import type { Database, QueryResultLike } from './database';

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
  const values = valuesOf(statement, params);
  const sent = db.readStatement ? db.readStatement(statement.text, values) : db.statement(statement.text, values);
  return sent.then(rowsOf<Result>);
}

/**
 * Like runStatement, for a read that must see the primary (key fingerprints, the audit trail, rotation's scan)
 * but writes nothing: a store of replicas does not count it as a write of its own.
 */
export function runReadOnPrimary<Params, Result>(
  statement: Statement<Params, Result>,
  params: NoInfer<Params>,
  db: Database,
): Promise<Result[]> {
  const values = valuesOf(statement, params);
  const sent = db.readOnPrimary ? db.readOnPrimary(statement.text, values) : db.statement(statement.text, values);
  return sent.then(rowsOf<Result>);
}

function valuesOf<Params>(statement: Statement<Params, unknown>, params: Params): unknown[] {
  return statement.params.map((name) => params[name]);
}

const rowsOf = <Result>(result: QueryResultLike): Result[] => result.rows as Result[];

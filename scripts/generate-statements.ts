/**
 * The second half of `npm run codegen`: from the file pgtyped wrote for one `sql/*.sql` file
 * (`src/generated/<name>.queries.ts`), the statements the repository runs (`<name>.statements.ts`). Each
 * query is reduced once, here, with pgtyped's own `processSQLQueryIR`, to its SQL text with `$n`
 * placeholders and the parameter bound to each; the emitted file imports pgtyped's types only, so that
 * nothing of `@pgtyped/runtime` is loaded by applications. A query that does not reduce to one value per
 * placeholder, or whose result columns pgtyped would rename, is refused here.
 */
import { ParameterTransform, processSQLQueryIR } from '@pgtyped/runtime';
import ts from 'typescript';

type QueryIR = Parameters<typeof processSQLQueryIR>[0];

/** One query as pgtyped writes it: `const <name>IR: any = {…}` and `new PreparedQuery<Params, Result>(<name>IR)`. */
export interface PgtypedQuery {
  /** The exported constant, pgtyped's camelCase of the query's `@name`. */
  name: string;
  paramsType: string;
  resultType: string;
  ir: QueryIR;
}

/** One query reduced: what the emitted file holds for it. */
export interface ReducedStatement {
  name: string;
  paramsType: string;
  resultType: string;
  text: string;
  /** The parameter bound to `$1`, `$2`, … in order. */
  params: string[];
}

const HEADER = /^\/\*\* Types generated for queries found in "([^"]+)" \*\//;

/** The SQL file pgtyped read, and its queries in file order, from the text of the file pgtyped wrote. */
export function readPgtypedQueries(source: string): { sqlFile: string; queries: PgtypedQuery[] } {
  const sqlFile = HEADER.exec(source)?.[1];
  if (sqlFile === undefined) throw new Error('not a file pgtyped wrote: its first line does not name the SQL file');
  const file = ts.createSourceFile('pgtyped-output.ts', source, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const irs = new Map<string, QueryIR>();
  const prepared: { name: string; paramsType: string; resultType: string; irName: string }[] = [];
  for (const statement of file.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const { name, initializer } of statement.declarationList.declarations) {
      if (!ts.isIdentifier(name) || initializer === undefined) continue;
      if (ts.isObjectLiteralExpression(initializer)) {
        // pgtyped writes the IR with JSON.stringify.
        irs.set(name.text, JSON.parse(initializer.getText(file)) as QueryIR);
      } else if (
        ts.isNewExpression(initializer) &&
        ts.isIdentifier(initializer.expression) &&
        initializer.expression.text === 'PreparedQuery'
      ) {
        const [paramsType, resultType] = (initializer.typeArguments ?? []).map((type) => type.getText(file));
        const [irArgument] = initializer.arguments ?? [];
        if (paramsType === undefined || resultType === undefined || irArgument === undefined) {
          throw new Error(`${name.text} in pgtyped's output is not new PreparedQuery<Params, Result>(IR)`);
        }
        prepared.push({ name: name.text, paramsType, resultType, irName: irArgument.getText(file) });
      }
    }
  }
  if (prepared.length === 0) throw new Error(`pgtyped's output for ${sqlFile} holds no query`);
  const queries = prepared.map(({ irName, ...query }) => {
    const ir = irs.get(irName);
    if (ir === undefined) throw new Error(`pgtyped's output for ${sqlFile} does not define ${irName}`);
    return { ...query, ir };
  });
  return { sqlFile, queries };
}

// Why each multi-valued parameter shape is refused, and what to write instead.
const MULTI_VALUED: Record<Exclude<ParameterTransform, ParameterTransform.Scalar>, (name: string) => string> = {
  [ParameterTransform.Spread]: (name) =>
    `a list expansion (...), spread into one placeholder per element at run time; bind one array instead, e.g. = ANY(:${name}!::text[])`,
  [ParameterTransform.Pick]: () =>
    'a tuple (a, b), which binds several values from one parameter; give each value a parameter of its own',
  [ParameterTransform.PickSpread]: () =>
    'a list of tuples ((a, b)...), spread into placeholders at run time; send one JSON document instead, read with jsonb_to_recordset',
};

// A quoted name ending in ! or ? ("count!"): pgtyped's run() renames such result columns in every row.
const SUFFIXED_NAME = /"((?:[^"]|"")*[!?])"/;

/** Reduces one query with pgtyped's processSQLQueryIR; throws, naming the query, on a shape a statement cannot hold. */
export function reduceQuery(query: PgtypedQuery, sqlFile: string): ReducedStatement {
  const refuse = (reason: string) => new Error(`query ${query.name} of ${sqlFile}: ${reason}`);
  const { query: text, mapping } = processSQLQueryIR(query.ir);
  const params: string[] = [];
  for (const parameter of mapping) {
    if (parameter.type !== ParameterTransform.Scalar) {
      throw refuse(`parameter :${parameter.name} is ${MULTI_VALUED[parameter.type](parameter.name)}`);
    }
    if (params.includes(parameter.name)) {
      throw refuse(`parameter :${parameter.name} is bound to more than one placeholder; it must reduce to one value`);
    }
    params[parameter.assignedIndex - 1] = parameter.name;
  }
  const suffixed = SUFFIXED_NAME.exec(text);
  if (suffixed) {
    throw refuse(
      `the quoted name "${suffixed[1]}" ends in ! or ?, a result column pgtyped renames row by row at run time; ` +
        'name it without the suffix',
    );
  }
  return { name: query.name, paramsType: query.paramsType, resultType: query.resultType, text, params };
}

/** `text` as a template literal whose value is `text`: the SQL reads as it is written in the .sql file. */
export function templateLiteral(text: string): string {
  // A carriage return is escaped: in a template literal's source it would read back as a line feed.
  return `\`${text.replace(/\\|`|\$\{|\r/g, (match) => (match === '\r' ? '\\r' : `\\${match}`))}\``;
}

/** The text of `<name>.statements.ts` for the statements of `sqlFile`, whose pgtyped types are in `queriesModule`. */
export function emitStatements(
  sqlFile: string,
  queriesModule: string,
  statements: readonly ReducedStatement[],
): string {
  const types = [...new Set(statements.flatMap(({ paramsType, resultType }) => [paramsType, resultType]))];
  const head = [
    `/** The queries of "${sqlFile}" reduced from pgtyped's output by \`npm run codegen\`: never edited by hand. */`,
    "import type { Statement } from '../database/statement';",
    `import type {\n${types.map((type) => `  ${type},\n`).join('')}} from '${queriesModule}';`,
  ].join('\n');
  const declarations = statements.map(({ name, paramsType, resultType, text, params }) =>
    [
      `export const ${name}: Statement<${paramsType}, ${resultType}> = {`,
      `  text: ${templateLiteral(text)},`,
      `  params: [${params.map((param) => `'${param}'`).join(', ')}],`,
      '};',
    ].join('\n'),
  );
  return `${[head, ...declarations].join('\n\n')}\n`;
}

/** `<name>.statements.ts` from the text of `<name>.queries.ts`, as pgtyped wrote it. */
export function generateStatements(pgtypedOutput: string, queriesFileName: string): string {
  const { sqlFile, queries } = readPgtypedQueries(pgtypedOutput);
  const statements = queries.map((query) => reduceQuery(query, sqlFile));
  return emitStatements(sqlFile, `./${queriesFileName.replace(/\.ts$/, '')}`, statements);
}

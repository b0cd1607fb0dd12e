import { readFile } from 'node:fs/promises';

import { parse, type DocumentNode, type NumberNode, type ValueNode } from '@humanwhocodes/momoa';
import { isSafeNumber } from 'lossless-json';

import { propertyPath } from '../secretstore/json-value';
import { codeOf } from '../unknown-value';

import { CliUsageError } from './usage-error';

/** What the CLI reads a value from when none is given as an argument. */
export type InputStream = AsyncIterable<string | Buffer> & { isTTY?: boolean };

/** Where a parse is: the text (for number literals) and what to call it in errors (never the text itself). */
interface JsonInput {
  text: string;
  source: string;
}

/** Builds the value of a parsed node, refusing what JSON.parse would change silently; `path` names the node. */
function valueOf(node: ValueNode, path: string, input: JsonInput): unknown {
  switch (node.type) {
    case 'Object': {
      const object: Record<string, unknown> = {};
      for (const member of node.members) {
        const name = member.name.type === 'String' ? member.name.value : member.name.name;
        const memberPath = propertyPath(path, name);
        if (Object.hasOwn(object, name)) {
          throw new CliUsageError('INVALID_JSON', `${input.source} gives the property ${memberPath} twice`);
        }
        // Defined rather than assigned, so that "__proto__" stays an ordinary property, as JSON.parse makes it.
        Object.defineProperty(object, name, {
          value: valueOf(member.value, memberPath, input),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return object;
    }
    case 'Array':
      return node.elements.map((element, index) => valueOf(element.value, propertyPath(path, index), input));
    case 'Number':
      return numberOf(node, path, input);
    case 'String':
    case 'Boolean':
      return node.value;
    case 'Null':
      return null;
    default:
      // NaN and Infinity exist only in JSON5, which the parser is not asked to read.
      throw new CliUsageError('INVALID_JSON', `${input.source} is not valid JSON at ${path}`);
  }
}

/** The number a literal stands for, if a JavaScript number holds it exactly: otherwise it would change on the way. */
function numberOf(node: NumberNode, path: string, input: JsonInput): number {
  const literal = node.range === undefined ? String(node.value) : input.text.slice(node.range[0], node.range[1]);
  if (isSafeNumber(literal)) return node.value;
  const what = /^-?\d+$/.test(literal) ? 'an integer outside ±(2^53−1)' : 'a number';
  throw new CliUsageError(
    'UNSAFE_NUMBER',
    `${input.source} has ${what} at ${path} that a JavaScript number cannot hold exactly; store it as a string`,
  );
}

/**
 * Parses JSON the user gave, refusing what would change silently on the way: a property given twice in one
 * object (JSON.parse keeps the last), and a number a JavaScript number cannot hold exactly (an integer beyond
 * ±(2^53−1), more digits than a double keeps, out of range). Errors name where the text came from and the
 * path or position, never the text: it may be a secret.
 */
export function parseJson(text: string, source: string): unknown {
  const json = text.replace(/^\uFEFF/, '');
  if (json.trim() === '') throw new CliUsageError('INVALID_JSON', `${source} is empty`);
  let document: DocumentNode;
  try {
    document = parse(json, { mode: 'json', ranges: true });
  } catch (error) {
    // The parser's own message quotes the text it stopped at: only its position is kept.
    if (error instanceof Error && error.constructor.name === 'UnexpectedEOF') {
      throw new CliUsageError('INVALID_JSON', `${source} is not valid JSON: it ends too early`);
    }
    const { line, column } = error as { line?: unknown; column?: unknown };
    const where = typeof line === 'number' && typeof column === 'number' ? ` at line ${line}, column ${column}` : '';
    throw new CliUsageError('INVALID_JSON', `${source} is not valid JSON${where}`);
  }
  return valueOf(document.body, '$', { text: json, source });
}

export async function readTextFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = codeOf(error);
    throw new CliUsageError('INPUT_UNREADABLE', `cannot read ${path}${typeof code === 'string' ? ` (${code})` : ''}`);
  }
}

export async function readStream(stream: InputStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

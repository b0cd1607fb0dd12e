import { createHash } from 'node:crypto';

const statementNames = new Map<string, string>();

/**
 * A name for a statement's text, the same in every copy of the package loaded in the process (ESM and
 * CommonJS may share one pool): node-postgres refuses one name for two different texts on a connection.
 */
export function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `secretstore_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return name;
}

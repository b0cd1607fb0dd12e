import type { DatabaseAccess } from './database-access';
import type { InputStream } from './json-input';
import type { Output } from './output';

/** What a command runs with: the database the global options chose, stdin, and the output. */
export interface CommandContext {
  database: DatabaseAccess;
  stdin: InputStream;
  output: Output;
}

import type { StandardSchemaV1 } from '@standard-schema/spec';

import { InvalidArgumentError, SecretValidationError } from '../errors';
import { propertyPath } from './json-value';

/** Any Standard Schema v1 validator (zod ≥ 3.24, valibot, arktype, …) whose output is T. */
export type SecretSchema<T> = StandardSchemaV1<unknown, T>;

function issuePath(issue: StandardSchemaV1.Issue): string {
  let path = '$';
  for (const segment of issue.path ?? []) {
    const name = typeof segment === 'object' ? segment.key : segment;
    path = typeof name === 'symbol' ? `${path}[${name.toString()}]` : propertyPath(path, name);
  }
  return path;
}

export function assertSchema(schema: unknown): asserts schema is SecretSchema<unknown> {
  const props = (schema as { '~standard'?: { version?: unknown; validate?: unknown } } | null | undefined)?.[
    '~standard'
  ];
  if (!props || props.version !== 1 || typeof props.validate !== 'function') {
    throw new InvalidArgumentError('schema', 'is not a Standard Schema v1 validator (zod ≥ 3.24, valibot, arktype)');
  }
}

/**
 * The schema's output for a stored value, or SecretValidationError naming the failing paths. Synchronous
 * when the schema is (zod, valibot and arktype are, for schemas without async refinements), so that
 * decoding many records does not wait a turn of the event loop per record.
 */
export function parseWithSchema<T>(schema: SecretSchema<T>, key: string, value: unknown): T | Promise<T> {
  const result = schema['~standard'].validate(value);
  return result instanceof Promise ? result.then((settled) => outputOf(settled, key)) : outputOf(result, key);
}

function outputOf<T>(result: StandardSchemaV1.Result<T>, key: string): T {
  if (result.issues) {
    const paths = [...new Set(result.issues.map(issuePath))];
    throw new SecretValidationError(key, paths.length > 0 ? paths : ['$']);
  }
  return result.value;
}

/** Accepts any stored value as it is: for tools that show secrets without knowing their shape. */
export const anyJson: SecretSchema<unknown> = {
  '~standard': { version: 1, vendor: '@kongflow/secretstore', validate: (value: unknown) => ({ value }) },
};

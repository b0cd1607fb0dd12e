import { InvalidSecretValueError, SecretValueTooLargeError } from '../errors';

export interface JsonValueLimits {
  maxValueBytes: number;
  maxDepth: number;
  /** The JSON is stored as JSONB text, which cannot hold \u0000 or unpaired surrogates. */
  jsonbStrings: boolean;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function propertyPath(parent: string, name: string | number): string {
  if (typeof name === 'number') return `${parent}[${name}]`;
  return IDENTIFIER.test(name) ? `${parent}.${name}` : `${parent}[${JSON.stringify(name)}]`;
}

function describeObject(value: object): string {
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name ? `a ${name} instance` : 'an object with a custom prototype';
}

/**
 * Refuses any value that would not read back equal after JSON.stringify, JSONB storage and JSON.parse.
 * Throws InvalidSecretValueError naming the first offending path; never echoes the value. The path is
 * kept as a stack of names and written out only on failure: a valid value costs no string building.
 */
class JsonValueChecker {
  private readonly ancestors = new Set<object>();
  private readonly path: (string | number)[] = [];

  constructor(
    private readonly key: string,
    private readonly limits: JsonValueLimits,
  ) {}

  private fail(reason: string): never {
    const path = this.path.reduce<string>((parent, name) => propertyPath(parent, name), '$');
    throw new InvalidSecretValueError(this.key, path, reason);
  }

  private checkString(text: string, what: string): void {
    // JSONB refuses \u0000 and unpaired surrogates; failing here keeps the write from reaching the database.
    // Encrypted, the JSON text (where both are escapes) is what is stored, and both round-trip.
    if (!this.limits.jsonbStrings) return;
    if (text.includes('\u0000')) this.fail(`${what} contains a NUL character (\\u0000), which JSONB cannot store`);
    if (!text.isWellFormed()) this.fail(`${what} contains an unpaired UTF-16 surrogate, which JSONB cannot store`);
  }

  check(value: unknown, depth: number): void {
    switch (typeof value) {
      case 'string':
        this.checkString(value, 'the string');
        return;
      case 'boolean':
        return;
      case 'number':
        if (!Number.isFinite(value)) this.fail(`${value} is not representable in JSON`);
        if (Object.is(value, -0)) this.fail('-0 would read back as 0');
        return;
      case 'object':
        if (value === null) return;
        this.checkObject(value, depth);
        return;
      default:
        this.fail(`a ${typeof value} is not representable in JSON`);
    }
  }

  private checkItem(name: string | number, item: unknown, depth: number): void {
    this.path.push(name);
    this.check(item, depth);
    this.path.pop();
  }

  private checkObject(value: object, depth: number): void {
    if (depth > this.limits.maxDepth) this.fail(`nesting is deeper than ${this.limits.maxDepth} levels`);
    if (this.ancestors.has(value)) this.fail('circular reference');
    if (Object.getOwnPropertySymbols(value).length > 0)
      this.fail('symbol-keyed properties are not representable in JSON');
    // JSON.stringify calls toJSON even when it is not enumerable; what it returns is not what was checked.
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') this.fail('an object with a toJSON method');
    this.ancestors.add(value);
    if (Array.isArray(value)) {
      if (Object.getPrototypeOf(value) !== Array.prototype) this.fail(describeObject(value));
      for (let index = 0; index < value.length; index++) {
        if (!Object.hasOwn(value, index)) {
          this.path.push(index);
          this.fail('a hole in a sparse array');
        }
      }
      if (Object.keys(value).length !== value.length) this.fail('an array with named properties');
      for (let index = 0; index < value.length; index++) this.checkItem(index, value[index], depth + 1);
    } else {
      const prototype: unknown = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null)
        this.fail(`${describeObject(value)} is not a plain object`);
      for (const name in value) {
        if (!Object.hasOwn(value, name)) continue;
        this.path.push(name);
        this.checkString(name, 'the property name');
        this.check((value as Record<string, unknown>)[name], depth + 1);
        this.path.pop();
      }
    }
    this.ancestors.delete(value);
  }
}

/** Validates a secret value and returns its JSON text. Only objects and arrays are secrets. */
export function toSecretJson(key: string, value: unknown, limits: JsonValueLimits): string {
  if (typeof value !== 'object' || value === null) {
    throw new InvalidSecretValueError(
      key,
      '$',
      `a secret must be an object or an array, not ${value === null ? 'null' : typeof value}`,
    );
  }
  new JsonValueChecker(key, limits).check(value, 1);
  const json = JSON.stringify(value);
  const size = Buffer.byteLength(json, 'utf8');
  if (size > limits.maxValueBytes) throw new SecretValueTooLargeError(key, size, limits.maxValueBytes);
  return json;
}

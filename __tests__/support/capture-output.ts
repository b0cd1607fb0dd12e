import { inspect } from 'node:util';

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir', 'table'] as const;

export interface CapturedOutput {
  /** Everything printed since capture began: stdout, stderr, console.* and process warnings. */
  text(): string;
  restore(): void;
}

function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  return inspect(value, { depth: 10, showHidden: true });
}

/**
 * Swallows and records whatever the process prints, so a test can assert that nothing it must keep secret
 * was printed. Nothing reaches the terminal while capturing: a leak shows up in the assertion, not the log.
 */
export function captureOutput(): CapturedOutput {
  const chunks: string[] = [];
  const record = (...args: unknown[]): void => {
    chunks.push(args.map(render).join(' '));
  };
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      record(chunk);
      return true;
    }),
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
      record(chunk);
      return true;
    }),
    jest.spyOn(process, 'emitWarning').mockImplementation(record),
    ...CONSOLE_METHODS.map((method) => jest.spyOn(console, method).mockImplementation(record)),
  ];
  return {
    text: () => chunks.join('\n'),
    restore: () => spies.forEach((spy) => spy.mockRestore()),
  };
}

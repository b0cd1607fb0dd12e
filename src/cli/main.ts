#!/usr/bin/env node
import { codeOf } from '../unknown-value';
import { run } from './program';

// A reader that stops early (`secretstore --help | head`) closes the pipe: that is the reader's choice, not a failure.
process.stdout.on('error', (error) => {
  if (codeOf(error) !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
});

void run(process.argv).then((exitCode) => {
  process.exitCode = exitCode;
});

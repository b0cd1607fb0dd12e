import { defineConfig } from 'tsup';

const shared = { platform: 'node', target: 'node20', sourcemap: true, splitting: false } as const;

export default defineConfig([
  // The library: ESM (.mjs) and CommonJS (.js), each with its declarations.
  {
    ...shared,
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    outDir: 'dist',
    // dist/cli is the other build's to clean.
    clean: ['!cli/**'],
    // __dirname in the ESM build, where the migrations folder is looked up from.
    shims: true,
  },
  // The CLI: CommonJS only, which bin/secretstore.js requires.
  {
    ...shared,
    entry: { main: 'src/cli/main.ts' },
    format: ['cjs'],
    outDir: 'dist/cli',
    clean: true,
  },
]);

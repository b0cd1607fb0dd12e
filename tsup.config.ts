import { defineConfig } from 'tsup';

// ESM (.mjs) and CommonJS (.js) builds of the library and the CLI, each with its declarations.
export default defineConfig({
  entry: { index: 'src/index.ts', 'cli/main': 'src/cli/main.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts' } },
  platform: 'node',
  target: 'node20',
  outDir: 'dist',
  clean: true,
  sourcemap: true,
  // __dirname in the ESM build, where the migrations folder is looked up from.
  shims: true,
  splitting: false,
});

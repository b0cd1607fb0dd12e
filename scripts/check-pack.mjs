// Fails unless `npm pack` would publish exactly what runtime needs: the library's ESM and CommonJS builds with
// their declarations, the CLI's CommonJS build and its launcher, the migrations, and the package's own metadata.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';

const [pack] = JSON.parse(
  execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8' }),
);
const files = pack.files.map((file) => file.path).sort();
const required = [
  'LICENSE',
  'README.md',
  'bin/secretstore.js',
  'dist/cli/main.js',
  'dist/index.d.mts',
  'dist/index.d.ts',
  'dist/index.js',
  'dist/index.mjs',
  'package.json',
];
const isMigration = (file) => /^migrations\/\d+_[a-z0-9_]+\.sql$/.test(file);

const unexpected = files.filter((file) => !required.includes(file) && !isMigration(file));
const missing = required.filter((file) => !files.includes(file));
if (!files.some(isMigration)) missing.push('migrations/*.sql');

console.log(`npm pack: ${files.length} files, ${pack.size} bytes packed`);
for (const file of files) console.log(`  ${file}`);
if (unexpected.length > 0 || missing.length > 0) {
  if (unexpected.length > 0) console.error(`not meant to be published: ${unexpected.join(', ')}`);
  if (missing.length > 0) console.error(`missing: ${missing.join(', ')}`);
  process.exit(1);
}

// A package the published code imports must be installed with it: a dependency or a peer dependency, never a
// devDependency such as @pgtyped/runtime (only codegen and the type-check use it).
const manifest = JSON.parse(readFileSync('package.json', 'utf8'));
const installed = new Set([
  ...Object.keys(manifest.dependencies ?? {}),
  ...Object.keys(manifest.peerDependencies ?? {}),
]);
const packageOf = (specifier) => /^(@[^/]+\/)?[^/]+/.exec(specifier)[0];
const isBuiltin = (specifier) => specifier.startsWith('node:') || builtinModules.includes(specifier);
const notInstalled = [];
for (const file of files.filter((path) => /\.(c|m)?js$/.test(path))) {
  const code = readFileSync(file, 'utf8');
  // import … from "x", import "x", import("x"), require("x"): how the build refers to a module.
  for (const [, specifier] of code.matchAll(/\b(?:from|import|require)\s*\(?\s*["']([@\w./:-]+)["']/g)) {
    if (specifier.startsWith('.') || specifier.startsWith('/') || isBuiltin(specifier)) continue;
    if (!installed.has(packageOf(specifier))) notInstalled.push(`${file} imports ${specifier}`);
  }
}
if (notInstalled.length > 0) {
  console.error(`the published code imports packages that are not dependencies:\n  ${notInstalled.join('\n  ')}`);
  process.exit(1);
}
console.log('published code imports only dependencies, peer dependencies and Node built-ins');

// Fails unless `npm pack` would publish exactly what runtime needs: the build, the migrations, and the
// package's own metadata files.
import { execFileSync } from 'node:child_process';

const [pack] = JSON.parse(
  execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8' }),
);
const files = pack.files.map((file) => file.path).sort();
const allowed = (file) =>
  /^dist\/(index\.(js|mjs|d\.ts|d\.mts)|cli\/main\.(js|mjs))$/.test(file) ||
  file === 'bin/secretstore.js' ||
  /^migrations\/\d+_[a-z0-9_]+\.sql$/.test(file) ||
  ['package.json', 'README.md', 'LICENSE'].includes(file);

const unexpected = files.filter((file) => !allowed(file));
const required = ['dist/index.js', 'dist/index.mjs', 'dist/index.d.ts', 'dist/index.d.mts', 'dist/cli/main.js'];
const missing = required.filter((file) => !files.includes(file));
if (!files.some((file) => file.startsWith('migrations/'))) missing.push('migrations/*.sql');

console.log(`npm pack: ${files.length} files, ${pack.size} bytes packed`);
for (const file of files) console.log(`  ${file}`);
if (unexpected.length > 0 || missing.length > 0) {
  if (unexpected.length > 0) console.error(`not meant to be published: ${unexpected.join(', ')}`);
  if (missing.length > 0) console.error(`missing: ${missing.join(', ')}`);
  process.exit(1);
}

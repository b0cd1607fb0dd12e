#!/usr/bin/env node
'use strict';
// The `secretstore` command. It runs the built CLI: the published package ships it (`npm pack` builds first);
// in a clone of the repository, `npm run build` makes it.
const path = require('node:path');
const fs = require('node:fs');

const cli = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
if (!fs.existsSync(cli)) {
  process.stderr.write('secretstore: the package is not built yet; run `npm run build` (INTERNAL)\n');
  process.exit(5);
}
require(cli);

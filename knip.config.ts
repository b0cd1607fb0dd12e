import type { KnipConfig } from 'knip' with { 'resolution-mode': 'import' };

// Unused files, dependencies and exports. The library's and the CLI's entries come from tsup.config.ts and
// package.json (`exports`, `bin`, scripts), the tests from the jest configs.
const config: KnipConfig = {
  workspaces: {
    '.': {
      // Run by hand (`npx tsx …`) or from .ci/run, so no script names them.
      entry: [
        'scripts/check-pack.mjs',
        'scripts/profile-reads.ts',
        'scripts/measure-cache-copy.ts',
        'bench/embedded-cli.ts',
        'bench/cold-start.ts',
        'bench/staleness.ts',
        'bench/failover.ts',
      ],
      jest: { config: ['jest.config.js', 'jest.reliability.config.mjs'] },
    },
    'examples/consumer': {},
  },
  ignoreDependencies: [
    // scripts/codegen.ts runs pgtyped's CLI by its path in node_modules.
    '@pgtyped/cli',
    // .ci/run runs them on the packed tarball.
    '@arethetypeswrong/cli',
    'publint',
  ],
  // Exports are checked in the package's own code; generated code and the code around the package are not.
  ignoreIssues: {
    'src/generated/**': ['exports', 'types'],
    'scripts/**': ['exports', 'types'],
    'bench/**': ['exports', 'types'],
    '__tests__/**': ['exports', 'types'],
    'examples/**': ['exports', 'types'],
  },
};

export default config;

/**
 * Layering rules of docs/architecture.md, checked in CI (`npm run check`).
 */
const SUBSYSTEMS = '^src/(build|container|image|snapshot|runtime|network|volume|logs|events)/';
module.exports = {
  forbidden: [
    {
      name: 'cli-only-client',
      comment: 'The CLI is a client of the API: it imports only client/, the wire types and its own modules.',
      severity: 'error',
      from: { path: '^src/cli/' },
      to: { path: '^src/', pathNot: ['^src/cli/', '^src/client/', '^src/api/types/', '^src/util/go-units', '^src/stream/'] },
    },
    {
      name: 'client-only-wire-types',
      severity: 'error',
      from: { path: '^src/client/' },
      to: { path: '^src/', pathNot: ['^src/client/', '^src/api/types/', '^src/stream/'] },
    },
    {
      name: 'subsystems-not-api-or-cli',
      comment: 'Subsystems never import api/, cli/, client/ or daemon/.',
      severity: 'error',
      from: { path: SUBSYSTEMS },
      to: { path: '^src/(api|cli|client|daemon)/' },
    },
    {
      name: 'api-only-backends',
      comment: 'api/ knows only its Backend interfaces and wire types, never the subsystems or the daemon.',
      severity: 'error',
      from: { path: '^src/api/' },
      to: { path: '^src/', pathNot: ['^src/api/', '^src/errdefs/', '^src/util/', '^src/stream/'] },
    },
    {
      name: 'only-sys-touches-the-host',
      comment: 'Only sys/ spawns processes or calls libc; everything above it goes through sys/.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/sys/', '^src/cli/'] },
      to: { path: ['^node:child_process$', '^child_process$', 'node_modules/koffi/', 'node_modules/node-unix-socket/'] },
    },
    {
      name: 'sys-is-a-leaf',
      severity: 'error',
      from: { path: '^src/sys/' },
      to: { path: '^src/', pathNot: ['^src/sys/', '^src/errdefs/', '^src/util/'] },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-test-code-in-src',
      severity: 'error',
      from: { path: '^src/', pathNot: '\\.test\\.ts$' },
      to: { path: '(^test/|\\.test\\.ts$)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: ['^src/', 'node_modules/(koffi|node-unix-socket)/', '^node:child_process$', '^child_process$'],
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
    exclude: { path: '\\.test\\.ts$' },
  },
};

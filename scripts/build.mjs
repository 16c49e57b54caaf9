// Builds the two programs. berthd: one esbuild bundle run by Node (native
// addons stay external). berth: a single executable compiled by Bun (the npm
// package `bun` ships the binary): a Node process alone takes longer to start
// than the docker CLI takes for a whole command (docs/architecture.md, "The CLI
// binary"), so the CLI is a Bun executable with its code precompiled to bytecode.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const BUN = join('node_modules', 'bun', 'bin', 'bun.exe');

function buildCli() {
  if (!existsSync(BUN)) throw new Error(`build: ${BUN} is missing: run \`npm ci\` (the CLI is compiled by the npm package bun)`);
  mkdirSync('dist', { recursive: true });
  // Written beside the old one and renamed over it: a berth command running meanwhile keeps its file.
  const tmp = 'dist/berth.tmp';
  const r = spawnSync(
    BUN,
    // --splitting keeps each command family's imports (node:readline, node:stream…) out of
    // the start of every other command; --bytecode spares parsing at each start.
    ['build', '--compile', '--bytecode', '--format=esm', '--splitting', '--minify', '--no-compile-autoload-dotenv', '--no-compile-autoload-bunfig', 'src/cli/main.ts', '--outfile', tmp],
    { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`build: bun build --compile of the CLI failed (${r.error?.message ?? `exit ${r.status}`})`);
  renameSync(tmp, 'dist/berth');
}

// The CLI was once an esbuild bundle in dist/cli: drop it so that nothing runs a stale copy.
rmSync('dist/cli', { recursive: true, force: true });

await Promise.all([
  build({
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    sourcemap: 'linked',
    logLevel: 'warning',
    // Bundled CommonJS dependencies call require(); give ESM output one.
    banner: { js: "import { createRequire as __berthRequire } from 'node:module'; const require = __berthRequire(import.meta.url);" },
    external: ['koffi', 'node-unix-socket'],
    entryPoints: ['src/daemon/main.ts'],
    outfile: 'dist/berthd.mjs',
  }),
  Promise.resolve().then(buildCli),
]);
chmodSync('bin/berthd', 0o755);

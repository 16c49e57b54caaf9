// Bundles the two programs with esbuild. The CLI is one file that imports
// nothing it does not need to start; native addons stay external.
import { build } from 'esbuild';
import { chmodSync, rmSync } from 'node:fs';

// Chunk names carry content hashes: drop the previous build's.
rmSync('dist/cli', { recursive: true, force: true });

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  logLevel: 'warning',
  // Bundled CommonJS dependencies call require(); give ESM output one.
  banner: { js: "import { createRequire as __berthRequire } from 'node:module'; const require = __berthRequire(import.meta.url);" },
  external: ['koffi', 'node-unix-socket'],
};

await Promise.all([
  // The CLI is split: command families load as chunks on first use.
  build({
    ...common,
    entryPoints: { berth: 'src/cli/main.ts' },
    outdir: 'dist/cli',
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
  }),
  build({ ...common, entryPoints: ['src/daemon/main.ts'], outfile: 'dist/berthd.mjs' }),
]);
for (const f of ['bin/berth', 'bin/berthd']) chmodSync(f, 0o755);

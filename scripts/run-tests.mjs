// Runs the test suites with node:test (TypeScript through tsx).
//   node scripts/run-tests.mjs unit|integration|all [file-filter]
// Unit tests sit beside the code (src/**/*.test.ts); integration tests in
// test/integration/ start a real berthd and need root.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const [which = 'all', filter = ''] = process.argv.slice(2);

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}

const files = [];
if (which === 'unit' || which === 'all') files.push(...find('src'));
if (which === 'integration' || which === 'all') files.push(...find('test/integration'));
const selected = files.filter((f) => f.includes(filter));
if (selected.length === 0) {
  console.error(`no test files match ${which} ${filter}`);
  process.exit(1);
}
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...selected],
  { stdio: 'inherit' },
);
process.exit(r.status ?? 1);

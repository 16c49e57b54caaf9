import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const REPO = join(import.meta.dirname, '../..');

/** Runs a script that uses stdio.ts in a child whose stdout is a pipe read slowly; returns what arrived. */
function run(script: string): Promise<{ out: Buffer; code: number | null }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    p.stdout.pause();
    // Reading starts late, so the child's writes meet a full pipe.
    setTimeout(() => p.stdout.on('data', (d: Buffer) => chunks.push(d)).resume(), 300);
    p.on('error', reject);
    p.on('close', (code) => resolve({ out: Buffer.concat(chunks), code }));
  });
}

describe('stdio', () => {
  it('keeps the order of synchronous and stream writes, and hands over all of it before exit', async () => {
    const big = 4 << 20;
    const { out, code } = await run(`
      import { write, flushed } from './src/cli/stdio.ts';
      write(1, 'first\\n');
      process.stdout.write('x'.repeat(${big}));
      write(1, '\\nlast\\n');
      await flushed(1);
      process.exit(0);
    `);
    assert.equal(code, 0);
    assert.equal(out.length, 'first\n'.length + big + '\nlast\n'.length);
    assert.ok(out.subarray(0, 6).equals(Buffer.from('first\n')));
    assert.ok(out.subarray(out.length - 6).equals(Buffer.from('\nlast\n')), 'a synchronous write overtook what the stream still held');
  });
});

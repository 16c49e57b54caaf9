import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProgressDisplay } from './progress.js';

describe('progress display', () => {
  const messages = [
    { status: 'Pulling from library/busybox', id: 'latest' },
    { status: 'Pulling fs layer', progressDetail: {}, id: 'abc' },
    { status: 'Downloading', progressDetail: { current: 10, total: 100 }, progress: '[=>   ] 10B/100B', id: 'abc' },
    { status: 'Download complete', progressDetail: {}, id: 'abc' },
    { progressDetail: {}, aux: { Tag: 't', Digest: 'sha256:x', Size: 1 } },
    { status: 'Digest: sha256:x' },
  ];
  it('without a terminal: one line per state, no progress bars, no aux', () => {
    let out = '';
    const d = new ProgressDisplay((s) => (out += s), false);
    for (const m of messages) d.show(m);
    assert.equal(out, 'latest: Pulling from library/busybox\nabc: Pulling fs layer\nabc: Download complete\nDigest: sha256:x\n');
  });
  it('on a terminal: a line per layer, rewritten in place', () => {
    let out = '';
    const d = new ProgressDisplay((s) => (out += s), true);
    for (const m of messages) d.show(m);
    assert.match(out, /abc: Pulling fs layer\n/);
    assert.match(out, /\x1b\[1A\r\x1b\[2Kabc: Downloading \[=>   \] 10B\/100B\r\x1b\[1B/);
    assert.doesNotMatch(out, /aux|Tag/);
  });
});

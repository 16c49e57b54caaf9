import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { EngineError } from '../errdefs/errdefs.js';
import { Demuxer, type Frame, FrameDecoder, type StreamId, demuxAll, frame, frameHeader } from './mux.js';

/** Deterministic PRNG (mulberry32) so a failing seed can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Splits `data` at random points (sizes 1..max, with many tiny pieces). */
function chop(data: Buffer, rand: () => number, max: number): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  while (i < data.length) {
    const r = rand();
    const size = r < 0.3 ? 1 + Math.floor(rand() * 9) : 1 + Math.floor(rand() * max);
    out.push(data.subarray(i, i + size));
    i += size;
  }
  return out;
}

function merge(frames: Frame[]): Array<{ stream: StreamId; payload: Buffer }> {
  // consecutive pieces of the same stream joined (for split mode comparisons)
  const out: Array<{ stream: StreamId; payload: Buffer }> = [];
  for (const f of frames) {
    const last = out[out.length - 1];
    if (last && last.stream === f.stream) last.payload = Buffer.concat([last.payload, f.payload]);
    else out.push({ stream: f.stream, payload: Buffer.from(f.payload) });
  }
  return out;
}

describe('frame', () => {
  it('writes the 8-byte header', () => {
    const f = frame(1, Buffer.from('hello'));
    assert.deepEqual([...f.subarray(0, 8)], [1, 0, 0, 0, 0, 0, 0, 5]);
    assert.equal(f.subarray(8).toString(), 'hello');
    assert.deepEqual([...frame(2, Buffer.alloc(0))], [2, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual([...frameHeader(2, 0x01020304)], [2, 0, 0, 0, 1, 2, 3, 4]);
  });

  it('size is big-endian', () => {
    const f = frame(2, Buffer.alloc(70000, 0x61));
    assert.equal(f.readUInt32BE(4), 70000);
    assert.equal(f.length, 70008);
  });
});

describe('FrameDecoder', () => {
  it('round-trips under random chunking (many seeds)', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rand = rng(seed);
      const frames: Frame[] = [];
      const count = 1 + Math.floor(rand() * 30);
      for (let k = 0; k < count; k++) {
        const big = rand() < 0.1;
        const len = big ? Math.floor(rand() * 200_000) : Math.floor(rand() * 40);
        frames.push({ stream: (rand() < 0.5 ? 1 : 2) as StreamId, payload: randomBytes(len) });
      }
      const wire = Buffer.concat(frames.map((f) => frame(f.stream, f.payload)));
      const got: Frame[] = [];
      const d = new FrameDecoder((f) => got.push({ stream: f.stream, payload: Buffer.from(f.payload) }));
      for (const c of chop(wire, rand, seed % 2 ? 16 : 65536)) d.push(c);
      d.end();
      assert.equal(got.length, frames.length, `seed ${seed}`);
      for (let k = 0; k < frames.length; k++) {
        assert.equal(got[k]!.stream, frames[k]!.stream, `seed ${seed} frame ${k}`);
        assert.ok(got[k]!.payload.equals(frames[k]!.payload), `seed ${seed} frame ${k}`);
      }

      // split mode: same bytes per stream run
      const pieces: Frame[] = [];
      const s = new FrameDecoder((f) => pieces.push({ stream: f.stream, payload: Buffer.from(f.payload) }), {
        split: true,
      });
      for (const c of chop(wire, rand, 4096)) s.push(c);
      s.end();
      assert.deepEqual(
        merge(pieces).map((p) => [p.stream, p.payload.toString('hex')]),
        merge(frames.filter((f) => f.payload.length > 0)).map((p) => [p.stream, p.payload.toString('hex')]),
        `seed ${seed} split`,
      );
    }
  });

  it('a header split byte by byte', () => {
    const wire = Buffer.concat([frame(1, Buffer.from('ab')), frame(2, Buffer.from('cd'))]);
    const got: Frame[] = [];
    const d = new FrameDecoder((f) => got.push(f));
    for (let i = 0; i < wire.length; i++) d.push(wire.subarray(i, i + 1));
    d.end();
    assert.deepEqual(
      got.map((f) => [f.stream, f.payload.toString()]),
      [
        [1, 'ab'],
        [2, 'cd'],
      ],
    );
  });

  it('a payload inside one chunk is not copied', () => {
    const wire = frame(1, Buffer.from('zero-copy'));
    const got: Frame[] = [];
    new FrameDecoder((f) => got.push(f)).push(wire);
    assert.equal(got[0]!.payload.buffer, wire.buffer);
  });

  it('a large frame in small chunks is linear (64 MiB in 4 KiB chunks)', () => {
    const size = 64 * 1024 * 1024;
    const payload = Buffer.alloc(size, 0x78);
    const wire = Buffer.concat([frameHeader(1, size), payload]);
    let got: Buffer | undefined;
    const d = new FrameDecoder((f) => (got = f.payload));
    const t0 = performance.now();
    for (let i = 0; i < wire.length; i += 4096) d.push(wire.subarray(i, i + 4096));
    d.end();
    const ms = performance.now() - t0;
    assert.equal(got!.length, size);
    assert.ok(ms < 2000, `took ${ms} ms`);
  });

  it('zero-length frames', () => {
    const got = demuxAll(Buffer.concat([frame(1, Buffer.alloc(0)), frame(2, Buffer.from('x'))]));
    assert.deepEqual(
      got.map((f) => [f.stream, f.payload.length]),
      [
        [1, 0],
        [2, 1],
      ],
    );
  });

  it('rejects an unknown stream byte and a truncated stream', () => {
    assert.throws(() => demuxAll(Buffer.from([9, 0, 0, 0, 0, 0, 0, 1, 0x41])), /Unrecognized input header: 9/);
    assert.throws(() => demuxAll(Buffer.from([1, 0, 0, 0])), (e: unknown) => {
      assert.ok(e instanceof EngineError);
      assert.match(e.message, /unexpected EOF.*4 header bytes missing/);
      return true;
    });
    assert.throws(() => demuxAll(Buffer.from([1, 0, 0, 0, 0, 0, 0, 5, 0x41])), /4 payload bytes missing/);
    // stream 3 (systemerr) is a valid frame
    assert.equal(demuxAll(frame(3, Buffer.from('boom')))[0]!.stream, 3);
  });
});

describe('Demuxer (Transform)', () => {
  it('splits a framed stream into frames', async () => {
    const rand = rng(42);
    const frames: Frame[] = [];
    for (let k = 0; k < 200; k++) frames.push({ stream: (k % 2 ? 1 : 2) as StreamId, payload: randomBytes(Math.floor(rand() * 5000)) });
    const wire = Buffer.concat(frames.map((f) => frame(f.stream, f.payload)));
    const got: Frame[] = [];
    await pipeline(Readable.from(chop(wire, rand, 3000)), new Demuxer(), async (src: AsyncIterable<Frame>) => {
      for await (const f of src) got.push(f);
    });
    assert.equal(got.length, frames.length);
    for (let k = 0; k < frames.length; k++) {
      assert.equal(got[k]!.stream, frames[k]!.stream);
      assert.ok(got[k]!.payload.equals(frames[k]!.payload));
    }
  });

  it('fails on a truncated stream', async () => {
    const wire = frame(1, Buffer.from('hello'));
    await assert.rejects(
      pipeline(Readable.from([wire.subarray(0, 10)]), new Demuxer(), async (src: AsyncIterable<Frame>) => {
        for await (const _ of src) void _;
      }),
      /unexpected EOF/,
    );
  });
});

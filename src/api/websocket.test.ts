import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { FrameParser, acceptKey, encodeFrame } from './websocket.js';

/** A client frame: masked, as RFC 6455 requires of clients. */
function clientFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const mask = randomBytes(4);
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0, 0x80 | n]) : n <= 0xffff ? Buffer.alloc(4) : Buffer.alloc(10);
  head[0] = (fin ? 0x80 : 0) | opcode;
  if (n >= 126 && n <= 0xffff) {
    head[1] = 0x80 | 126;
    head.writeUInt16BE(n, 2);
  } else if (n > 0xffff) {
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([head, mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!))]);
}

describe('websocket', () => {
  it('computes the accept key of RFC 6455 §1.3', () => {
    assert.equal(acceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('encodes server frames with 7-, 16- and 64-bit lengths, unmasked', () => {
    for (const n of [0, 125, 126, 65535, 65536, 200_000]) {
      const payload = randomBytes(n);
      const f = encodeFrame(0x2, payload);
      const parsed = new FrameParser().push(f);
      assert.equal(parsed.length, 1);
      assert.equal(parsed[0]!.opcode, 0x2);
      assert.ok(parsed[0]!.fin);
      assert.ok(parsed[0]!.payload.equals(payload), `length ${n}`);
      assert.equal(f[1]! & 0x80, 0);
    }
  });

  it('parses masked client frames split at every byte, and fragments', () => {
    const a = randomBytes(300);
    const b = Buffer.from('tail');
    const wire = Buffer.concat([clientFrame(0x1, a, false), clientFrame(0x0, b), clientFrame(0x9, Buffer.from('p')), clientFrame(0x8, Buffer.from([3, 232]))]);
    const p = new FrameParser();
    const frames = [];
    for (let i = 0; i < wire.length; i++) frames.push(...p.push(wire.subarray(i, i + 1)));
    assert.deepEqual(
      frames.map((f) => [f.opcode, f.fin]),
      [
        [0x1, false],
        [0x0, true],
        [0x9, true],
        [0x8, true],
      ],
    );
    assert.ok(frames[0]!.payload.equals(a));
    assert.equal(frames[1]!.payload.toString(), 'tail');
  });

  it('refuses frames above its limit', () => {
    const head = Buffer.from([0x82, 0x80 | 127, 0, 0, 0, 1, 0, 0, 0, 0]);
    assert.throws(() => new FrameParser().push(head), RangeError);
  });
});

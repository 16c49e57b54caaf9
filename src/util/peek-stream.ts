/** Looking at the first bytes of a stream without losing them (compression and archive sniffing). */
import { Readable } from 'node:stream';

/** Reads up to n bytes and returns a stream that still yields every byte. */
export async function peek(input: Readable, n: number): Promise<{ head: Buffer; stream: Readable }> {
  const it = input[Symbol.asyncIterator]();
  const first: Buffer[] = [];
  let have = 0;
  let done = false;
  while (have < n) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    const b = r.value as Buffer;
    first.push(b);
    have += b.length;
  }
  const head = Buffer.concat(first);
  async function* all(): AsyncGenerator<Buffer> {
    if (head.length) yield head;
    if (done) return;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value as Buffer;
  }
  const stream = Readable.from(all(), { objectMode: false });
  input.once('error', (e) => stream.destroy(e));
  return { head: head.subarray(0, n), stream };
}

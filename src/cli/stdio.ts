/**
 * The CLI's text output on fd 1 and 2, without making process.stdout/stderr
 * when it can. Under Bun (the CLI is a Bun executable) the first touch of
 * process.stdout loads node:stream, ~10 ms of CPU: a sixth of a whole
 * `berth ps`. So text is written synchronously while the fd is blocking. Bun's
 * own stdio streams make their fd non-blocking (as may our parent), and a
 * stream may still hold queued output: then text goes through the stream,
 * behind what it holds, so output never overtakes output.
 */
import { createReadStream, readFileSync, writeSync } from 'node:fs';
import type { Readable } from 'node:stream';

export type OutFd = 1 | 2;

const O_NONBLOCK = 0o4000;

/** Whether fd is non-blocking (the "flags" line of /proc/self/fdinfo); when unknown, it is taken to be. */
function nonBlocking(fd: OutFd): boolean {
  try {
    const m = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'latin1'));
    return !m || (Number.parseInt(m[1]!, 8) & O_NONBLOCK) !== 0;
  } catch {
    return true;
  }
}

const streamOf = (fd: OutFd): NodeJS.WriteStream => (fd === 1 ? process.stdout : process.stderr);

export function write(fd: OutFd, s: string): void {
  if (nonBlocking(fd)) {
    streamOf(fd).write(s);
    return;
  }
  const b = Buffer.from(s, 'utf8');
  // A blocking write takes all it can and waits for room; a short count only means "go on".
  for (let off = 0; off < b.length; ) off += writeSync(fd, b, off);
}

/**
 * Ends fd's stream, if it has one, and resolves when what it held has been
 * handed to the OS: pipe writes through a stream are asynchronous, and exiting
 * before they complete loses the tail of the output (`berth attach c | sha256sum`).
 * Only ending it tells: Bun's stdout reports no queued bytes (writableLength 0)
 * while it still holds megabytes. A blocking fd has no stream of Bun's, so
 * nothing is pending. For the exit path only.
 */
export function flushed(fd: OutFd): Promise<void> {
  if (!nonBlocking(fd)) return Promise.resolve();
  const s = streamOf(fd);
  if (s.destroyed || s.writableFinished) return Promise.resolve();
  return new Promise((resolve) => {
    s.once('error', () => resolve());
    s.end(() => resolve());
  });
}

/**
 * Standard input as a body to send (load, import): read from fd 0 directly.
 * Bun's process.stdin sometimes never ends when a pipe's writer has already
 * written everything and closed it; a plain fd stream does.
 */
export function stdinBody(): Readable {
  return createReadStream('', { fd: 0, autoClose: false });
}

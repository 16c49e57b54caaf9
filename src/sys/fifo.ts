/** Fifos shared with a monitor or a runtime: conmon's control fifo, runc's exec fifo. Neither side ever blocks the daemon. */
import { constants, promises as fs } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Opened O_NONBLOCK: with no reader the open fails (ENXIO) at once instead of waiting forever. */
export async function writeFifo(path: string, data: string): Promise<void> {
  const fh = await fs.open(path, constants.O_WRONLY | constants.O_NONBLOCK);
  try {
    await fh.write(data);
  } finally {
    await fh.close();
  }
}

/**
 * Reads what a writer puts into a fifo, as long as `writerAlive()` says it
 * may still come. Opened O_NONBLOCK (a blocking open would hold a thread
 * forever if the writer died first) and polled every millisecond: until the
 * writer has opened its end, a read sees end of file. Resolves with the
 * bytes, or undefined when the writer was gone before writing any.
 */
export async function readFifo(path: string, writerAlive: () => boolean): Promise<Buffer | undefined> {
  const fh = await fs.open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const buf = Buffer.alloc(64);
    for (;;) {
      // Asked before the read: a writer that was gone before a read that found nothing has nothing to come.
      const alive = writerAlive();
      const n = await fh.read(buf, 0, buf.length, null).then(
        (r) => r.bytesRead,
        (e: NodeJS.ErrnoException) => {
          if (e.code === 'EAGAIN') return 0;
          throw e;
        },
      );
      if (n > 0) return buf.subarray(0, n);
      if (!alive) return undefined;
      await sleep(1);
    }
  } finally {
    await fh.close();
  }
}

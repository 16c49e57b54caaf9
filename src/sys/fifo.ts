/** Writing to a fifo that a monitor reads (conmon's control fifo), without blocking the daemon when nobody reads it. */
import { constants, promises as fs } from 'node:fs';

/** Opened O_NONBLOCK: with no reader the open fails (ENXIO) at once instead of waiting forever. */
export async function writeFifo(path: string, data: string): Promise<void> {
  const fh = await fs.open(path, constants.O_WRONLY | constants.O_NONBLOCK);
  try {
    await fh.write(data);
  } finally {
    await fh.close();
  }
}

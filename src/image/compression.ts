/**
 * Recognising and undoing layer compression. Layers arrive gzip-compressed
 * (registries, most archives), zstd-compressed (newer OCI images; through the
 * zstd tool, see sys/zstd) or plain; build contexts, import and load also
 * xz and bzip2 (through their tools); they accept any of them and tell them apart by magic bytes.
 */
import { peek } from '../util/peek-stream.js';
import { Readable, type Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { toolDecompress, zstdDecompress } from '../sys/zstd.js';

export type Compression = 'gzip' | 'zstd' | 'xz' | 'bzip2' | 'none';

export function detectCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.length >= 3 && head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  return 'none';
}

/**
 * Reads the first bytes of a stream to tell its compression, and returns a
 * stream that still yields every byte.
 */
export async function sniff(input: Readable): Promise<{ compression: Compression; stream: Readable }> {
  const { head, stream } = await peek(input, 6);
  return { compression: detectCompression(head), stream };
}

/** A transform that undoes the given compression, or undefined for 'none'. */
export function decompressor(c: Compression): Transform | undefined {
  switch (c) {
    case 'none':
      return undefined;
    case 'gzip':
      // 256 KiB output chunks: a quarter of the threadpool round trips and of the chunks downstream.
      return createGunzip({ chunkSize: 256 * 1024 });
    case 'zstd':
      return zstdDecompress();
    case 'xz':
    case 'bzip2':
      // As Docker's DecompressStream: archives (build contexts, load, import) may be xz or bzip2 too.
      return toolDecompress(c);
  }
}

/**
 * A blob download as one byte stream that survives broken connections: when
 * the connection drops (or the registry answers 5xx/429), it waits and asks
 * again from the byte it got to (`Range: bytes=N-`), skipping bytes itself
 * when a server ignores the range. Consumers see one uninterrupted stream.
 *
 * The stream checks the length against the descriptor (more bytes than
 * announced is an error at once; fewer is retried as a broken transfer). The
 * digest is checked by whoever stores the bytes (the content writer), so the
 * data is hashed once.
 *
 * Errors: the last network or registry error once the attempts are used up;
 * AbortedError when the signal fires.
 */
import { Readable } from 'node:stream';
import { invalidParameter } from '../../errdefs/errdefs.js';
import type { RemoteRepository } from './client.js';
import { RegistryError } from './client.js';
import { AbortedError, NetworkError, isAbort, opPrefix } from './http.js';

export interface BlobReadOptions {
  signal?: AbortSignal;
  /** Attempts in all (docker: 5). */
  attempts?: number;
  /** Delay before retry n (1-based), in ms. */
  retryDelayMs?: (attempt: number) => number;
  /** Told before each retry wait (for "Retrying in N seconds"). */
  onRetry?: (attempt: number, delayMs: number, err: Error) => void;
  /** Told when a retry resumed from a byte offset (tests and logs). */
  onResume?: (offset: number) => void;
}

export const DEFAULT_ATTEMPTS = 5;
export const defaultRetryDelay = (attempt: number): number => attempt * 1000;

export function isRetryable(e: unknown): boolean {
  if (isAbort(e)) return false;
  if (e instanceof NetworkError) return true;
  if (e instanceof RegistryError) return e.retryable;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'ETIMEDOUT' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (e as Error)?.message === 'aborted';
}

class IncompleteError extends Error {
  readonly code = 'ECONNRESET';
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError());
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new AbortedError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function openBlob(repo: RemoteRepository, desc: { digest: string; size: number }, opts: BlobReadOptions = {}): Readable {
  const attempts = opts.attempts ?? DEFAULT_ATTEMPTS;
  const delay = opts.retryDelayMs ?? defaultRetryDelay;
  async function* bytes(): AsyncGenerator<Buffer> {
    let offset = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        if (attempt > 1 && offset > 0) opts.onResume?.(offset);
        const res = await repo.getBlob(desc.digest, offset, opts.signal);
        let skip = res.status === 206 ? 0 : offset;
        if (res.status === 206) {
          const cr = String(res.headers['content-range'] ?? '');
          const m = /^bytes (\d+)-/.exec(cr);
          if (m && Number(m[1]) !== offset) {
            res.body.destroy();
            throw new RegistryError(`the registry resumed ${desc.digest} at byte ${m[1]} instead of ${offset}`, 502, undefined);
          }
        }
        try {
          for await (const chunk of res.body) {
            let c = chunk as Buffer;
            if (skip > 0) {
              if (c.length <= skip) {
                skip -= c.length;
                continue;
              }
              c = c.subarray(skip);
              skip = 0;
            }
            offset += c.length;
            if (offset > desc.size) {
              throw invalidParameter(`filesystem layer verification failed for digest ${desc.digest}: the registry sent more than the ${desc.size} bytes announced`);
            }
            yield c;
          }
        } finally {
          if (!res.body.destroyed && !res.body.readableEnded) res.body.destroy();
        }
        if (opts.signal?.aborted) throw new AbortedError();
        if (offset < desc.size) throw new IncompleteError(`unexpected EOF after ${offset} of ${desc.size} bytes`);
        return;
      } catch (e) {
        if (opts.signal?.aborted) throw new AbortedError();
        const retryable = isRetryable(e) || e instanceof IncompleteError;
        if (retryable && attempt >= attempts && !(e instanceof NetworkError) && !(e instanceof RegistryError)) {
          // A body that broke off: say so in the registry client's terms.
          const url = repo.session.url(`/v2/${repo.path}/blobs/${desc.digest}`);
          throw new NetworkError(
            `${opPrefix('GET', url)}: unexpected EOF: the connection broke after ${offset} of ${desc.size} bytes (${(e as Error).message}); gave up after ${attempts} attempts`,
            'ECONNRESET',
            false,
            { cause: e },
          );
        }
        if (attempt >= attempts || !retryable) throw e;
        const ms = delay(attempt);
        opts.onRetry?.(attempt, ms, e as Error);
        await sleep(ms, opts.signal);
      }
    }
  }
  return Readable.from(bytes(), { objectMode: false });
}

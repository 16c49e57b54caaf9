/**
 * A CLI context for unit tests: what a verb writes to stdout/stderr (by
 * ctx.out/err or by piping into ctx.stdout/stderr) is captured in order, and
 * stdin is the text given.
 */
import type { IncomingMessage } from 'node:http';
import { Readable, Writable } from 'node:stream';
import type { RequestOptions } from '../../src/client/client.js';
import type { CliContext, EngineClient } from '../../src/cli/context.js';

/** Streams that hand every chunk written to them to the functions given. */
export function fakeStreams(onOut: (s: string) => void, onErr: (s: string) => void, stdin = ''): Pick<CliContext, 'stdin' | 'stdout' | 'stderr'> {
  const sink = (on: (s: string) => void): Writable =>
    new Writable({
      write(chunk: Buffer | string, _enc, cb) {
        on(chunk.toString());
        cb();
      },
    });
  return { stdin: Readable.from([Buffer.from(stdin)]), stdout: sink(onOut), stderr: sink(onErr) };
}

export interface CapturedContext {
  ctx: CliContext;
  stdout(): string;
  stderr(): string;
}

export function captureContext(client: EngineClient, o: { stdin?: string; stdoutIsTTY?: boolean; stdinIsTTY?: boolean } = {}): CapturedContext {
  let out = '';
  let err = '';
  const ctx: CliContext = {
    host: 'unix:///fake.sock',
    client: () => client,
    out: (s) => void (out += s),
    err: (s) => void (err += s),
    stdoutIsTTY: o.stdoutIsTTY ?? false,
    stdinIsTTY: o.stdinIsTTY ?? false,
    ...fakeStreams(
      (s) => (out += s),
      (s) => (err += s),
      o.stdin,
    ),
  };
  return { ctx, stdout: () => out, stderr: () => err };
}

export interface RecordedCall {
  method: string;
  path: string;
  opts: RequestOptions;
}

/**
 * An EngineClient that records each request and answers it with reply()
 * (a value for json(), bytes for stream(); throw ApiError for a daemon error).
 * Hijacked connections are not faked.
 */
export function recordingClient(reply: (call: RecordedCall) => unknown): EngineClient & { calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  const answer = async (method: string, path: string, opts: RequestOptions = {}): Promise<unknown> => {
    const call = { method, path, opts };
    calls.push(call);
    return reply(call);
  };
  const stream = async (method: string, path: string, opts?: RequestOptions): Promise<IncomingMessage> => {
    const body = await answer(method, path, opts);
    return Object.assign(Readable.from([Buffer.isBuffer(body) ? body : Buffer.from(String(body ?? ''))]), { headers: {} }) as unknown as IncomingMessage;
  };
  return {
    calls,
    json: answer as EngineClient['json'],
    stream,
    request: stream,
    jsonLines: async () => {
      throw new Error('recordingClient: jsonLines is not faked');
    },
    hijack: async () => {
      throw new Error('recordingClient: hijack is not faked');
    },
  };
}

/**
 * Driving a hijacked attach/exec connection from the CLI: output to our
 * stdout/stderr (split from the 8-byte framing when there is no TTY), our
 * stdin to the container (half-closing at EOF, keeping the output flowing),
 * the local terminal in raw mode with every exit path restoring it, and
 * terminal size changes sent to the daemon.
 */
import type { Hijacked } from '../client/client.js';
import { DetachScanner } from '../stream/detach-keys.js';
import { FrameDecoder } from '../stream/mux.js';

export interface SessionOptions {
  tty: boolean;
  /** Send our stdin to the container. */
  stdin: boolean;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Called with the terminal size at start and on every change (tty sessions on a terminal). */
  resize?: (h: number, w: number) => void;
  /** The detach sequence, already parsed; typing it ends the session and leaves the container running. */
  detachKeys?: Buffer;
}

export interface SessionEnd {
  /** The user typed the detach sequence. */
  detached: boolean;
}

/** Resolves when the container side has closed the output stream, or the user detached. */
export function runSession(h: Hijacked, o: SessionOptions): Promise<SessionEnd> {
  const { socket } = h;
  // Touched only when stdin is sent: under Bun, making process.stdin costs CPU at start and at exit.
  const input = o.stdin ? process.stdin : undefined;
  const rawTerminal = o.tty && input?.isTTY === true;
  const restore = () => {
    if (rawTerminal && input?.isTTY) input.setRawMode(false);
  };
  process.once('exit', restore);
  if (rawTerminal) input?.setRawMode(true);

  const onResize = () => {
    const out = process.stdout;
    if (out.isTTY && o.resize) o.resize(out.rows, out.columns);
  };
  if (o.tty && o.resize && process.stdout.isTTY) {
    onResize();
    process.stdout.on('resize', onResize);
  }

  const multiplexed = h.multiplexed ?? !o.tty;
  const decoder = multiplexed
    ? new FrameDecoder(
        (f) => {
          (f.stream === 2 ? o.stderr : o.stdout).write(f.payload);
        },
        { split: true },
      )
    : undefined;
  const onData = (d: Buffer) => {
    if (decoder) decoder.push(d);
    else o.stdout.write(d);
  };
  if (h.head.length) onData(h.head);
  socket.on('data', onData);
  // The client hands the socket over paused (so that no output is emitted before this listener).
  socket.resume();

  let stdinDone = false;
  let detached = false;
  const scanner = o.detachKeys?.length ? new DetachScanner(o.detachKeys) : undefined;
  const onStdinData = (d: Buffer) => {
    if (socket.destroyed) return;
    if (!scanner) {
      socket.write(d);
      return;
    }
    const { forward, detach } = scanner.feed(d);
    if (forward.length) socket.write(forward);
    if (detach) {
      detached = true;
      socket.destroy();
    }
  };
  const onStdinEnd = () => {
    stdinDone = true;
    if (!socket.destroyed) socket.end();
  };
  if (input) {
    input.on('data', onStdinData);
    input.once('end', onStdinEnd);
    input.resume();
  }

  return new Promise((resolve) => {
    const finish = () => {
      socket.off('data', onData);
      if (input) {
        input.off('data', onStdinData);
        input.off('end', onStdinEnd);
        if (!stdinDone) input.pause();
      }
      process.stdout.off('resize', onResize);
      restore();
      process.off('exit', restore);
      resolve({ detached });
    };
    socket.once('end', finish);
    socket.once('close', finish);
    socket.once('error', finish);
  });
}

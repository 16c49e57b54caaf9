/** Implements the exec routes' Backend over ExecService. */
import type { HijackedStream } from '../api/hijack.js';
import type { ExecBackend } from '../api/routes/exec.js';
import type { ExecCreateRequest, ExecInspect, ExecStartRequest } from '../api/types/exec.js';
import type { ExecService } from '../container/exec.js';
import { DEFAULT_DETACH_KEYS, DetachScanner, parseDetachKeys } from '../stream/detach-keys.js';

export class DaemonExecBackend implements ExecBackend {
  constructor(private readonly execs: ExecService) {}

  async create(container: string, b: ExecCreateRequest) {
    const keys = b.DetachKeys || DEFAULT_DETACH_KEYS;
    parseDetachKeys(keys);
    const s = this.execs.create(container, {
      cmd: b.Cmd ?? [],
      env: b.Env ?? [],
      user: b.User ?? '',
      workingDir: b.WorkingDir ?? '',
      tty: !!b.Tty,
      attachStdin: !!b.AttachStdin,
      attachStdout: !!b.AttachStdout,
      attachStderr: !!b.AttachStderr,
      privileged: !!b.Privileged,
      detachKeys: keys,
      ...(b.ConsoleSize && b.ConsoleSize[0] ? { consoleSize: [b.ConsoleSize[0], b.ConsoleSize[1]] as [number, number] } : {}),
    });
    return { Id: s.id };
  }

  async start(id: string, b: ExecStartRequest): Promise<{ tty: boolean; run(stream: HijackedStream): void } | undefined> {
    const s = this.execs.get(id);
    const opts = {
      detach: !!b.Detach,
      ...(b.ConsoleSize && b.ConsoleSize[0] ? { consoleSize: [b.ConsoleSize[0], b.ConsoleSize[1]] as [number, number] } : {}),
    };
    if (opts.detach) {
      await this.execs.start(id, opts);
      return undefined;
    }
    return {
      // As dockerd: the process has a terminal if the exec was created with one; start's Tty only
      // says whether the client wants the output raw or framed (docker-py sends Tty: false).
      tty: !!b.Tty,
      run: (stream) => {
        // Detach keys apply only with a TTY, as in Docker: piped stdin goes through untouched.
        const scanner = s.config.tty ? new DetachScanner(parseDetachKeys(s.config.detachKeys)) : undefined;
        const pending: Buffer[] = [];
        let handle: Awaited<ReturnType<ExecService['start']>>;
        let inputEnded = false;
        stream.onInput((d) => {
          const { forward, detach } = scanner ? scanner.feed(d) : { forward: d, detach: false };
          if (forward.length) {
            if (handle) handle.write(forward);
            else pending.push(forward);
          }
          if (detach) {
            handle?.detach();
            stream.end();
          }
        });
        stream.onInputEnd(() => {
          inputEnded = true;
          handle?.closeStdin();
        });
        stream.onClose(() => handle?.detach());
        this.execs
          .start(id, opts, { output: (st, data) => stream.write(st, data), end: () => stream.end() })
          .then((h) => {
            handle = h;
            for (const p of pending) h?.write(p);
            if (inputEnded) h?.closeStdin();
          })
          .catch((e: unknown) => {
            stream.write(1, Buffer.from(`${(e as Error).message}\r\n`));
            stream.end();
          });
      },
    };
  }

  resize(id: string, h: number, w: number) {
    return this.execs.resize(id, h, w);
  }

  async inspect(id: string): Promise<ExecInspect> {
    const s = this.execs.get(id);
    return {
      CanRemove: false,
      ContainerID: s.containerId,
      DetachKeys: s.config.detachKeys === DEFAULT_DETACH_KEYS ? '' : s.config.detachKeys,
      ExitCode: s.exitCode,
      ID: s.id,
      OpenStderr: s.config.attachStderr,
      OpenStdin: s.config.attachStdin,
      OpenStdout: s.config.attachStdout,
      ProcessConfig: { arguments: s.config.cmd.slice(1), entrypoint: s.config.cmd[0] ?? '', privileged: s.config.privileged, tty: s.config.tty, user: s.config.user },
      Running: s.running,
      Pid: s.pid,
    };
  }
}

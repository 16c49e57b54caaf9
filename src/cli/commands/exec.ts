/** `exec`: run a command in a running container. */
import { readFileSync } from 'node:fs';
import type { ContainerInspect } from '../../api/types/containers.js';
import type { IdResponse } from '../../api/types/common.js';
import type { ExecInspect } from '../../api/types/exec.js';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../../stream/detach-keys.js';
import { CliError, type Cli } from '../command.js';
import type { CliContext } from '../context.js';
import { runSession } from '../stream-session.js';

/** `--env-file` lines: comments and blanks skipped, a bare KEY takes its value from our environment. */
function envFile(path: string): string[] {
  const out: string[] = [];
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    const line = raw.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) continue;
    if (line.includes('=')) out.push(line);
    else if (process.env[line] !== undefined) out.push(`${line}=${process.env[line]}`);
  }
  return out;
}

export function registerExecCommand(cli: Cli<CliContext>): void {
  cli.add({
    path: 'exec',
    aliases: ['container exec'],
    usage: '[OPTIONS] CONTAINER COMMAND [ARG...]',
    description: 'Execute a command in a running container',
    args: { min: 2 },
    stopAtFirstArg: true,
    options: [
      { flags: '-d, --detach', desc: 'Detached mode: run command in the background' },
      { flags: '--detach-keys', arg: 'string', desc: 'Override the key sequence for detaching a container' },
      { flags: '-e, --env', arg: 'list', desc: 'Set environment variables', repeat: true },
      { flags: '--env-file', arg: 'list', desc: 'Read in a file of environment variables', repeat: true },
      { flags: '-i, --interactive', desc: 'Keep STDIN open even if not attached' },
      { flags: '--privileged', desc: 'Give extended privileges to the command' },
      { flags: '-t, --tty', desc: 'Allocate a pseudo-TTY' },
      { flags: '-u, --user', arg: 'string', desc: 'Username or UID (format: "<name|uid>[:<group|gid>]")' },
      { flags: '-w, --workdir', arg: 'string', desc: 'Working directory inside the container' },
    ],
    async action(ctx, args, o) {
      const client = ctx.client();
      const [container, ...cmd] = args as [string, ...string[]];
      const detach = !!o['detach'];
      const tty = !!o['tty'];
      const interactive = !!o['interactive'];
      const detachKeys = (o['detachKeys'] as string | undefined) ?? DEFAULT_DETACH_KEYS;
      let keys: Buffer;
      try {
        keys = parseDetachKeys(detachKeys);
      } catch (e) {
        throw new CliError((e as Error).message, 1);
      }
      if (!detach && tty && interactive && !ctx.stdinIsTTY) throw new CliError('the input device is not a TTY', 1);
      const info = await client.json<ContainerInspect>('GET', `/containers/${encodeURIComponent(container)}/json`);
      const env = [...(o['envFile'] as string[]).flatMap(envFile), ...(o['env'] as string[]).map((e) => (e.includes('=') || process.env[e] === undefined ? e : `${e}=${process.env[e]}`))];
      const consoleSize = tty && process.stdout.isTTY ? [process.stdout.rows, process.stdout.columns] : undefined;
      const created = await client.json<IdResponse>('POST', `/containers/${info.Id}/exec`, {
        body: {
          User: o['user'] ?? '',
          Privileged: !!o['privileged'],
          Tty: tty,
          AttachStdin: interactive && !detach,
          AttachStdout: !detach,
          AttachStderr: !detach,
          DetachKeys: o['detachKeys'] ?? '',
          Env: env,
          WorkingDir: o['workdir'] ?? '',
          Cmd: cmd,
          ...(consoleSize ? { ConsoleSize: consoleSize } : {}),
        },
      });
      if (detach) {
        await client.json('POST', `/exec/${created.Id}/start`, { body: { Detach: true, Tty: tty } });
        return 0;
      }
      const h = await client.hijack('POST', `/exec/${created.Id}/start`, { body: { Detach: false, Tty: tty, ...(consoleSize ? { ConsoleSize: consoleSize } : {}) } });
      const end = await runSession(h, {
        tty,
        stdin: interactive,
        stdout: process.stdout,
        stderr: process.stderr,
        ...(interactive && tty ? { detachKeys: keys } : {}),
        resize: (rows, cols) => void client.json('POST', `/exec/${created.Id}/resize`, { query: { h: rows, w: cols } }).catch(() => {}),
      });
      // docker's exec reports the detach as an error: "read escape sequence", status 1.
      if (end.detached) throw new CliError('read escape sequence', 1);
      const r = await client.json<ExecInspect>('GET', `/exec/${created.Id}/json`);
      return r.ExitCode ?? 0;
    },
  });
}

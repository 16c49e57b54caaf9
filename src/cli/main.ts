/**
 * berth: the CLI. Reads global options (-H/--host, BERTH_HOST), finds the
 * command, runs it, and turns failures into docker's messages and exit codes.
 */
import { ApiError, ConnectError, DEFAULT_HOST } from '../client/client.js';
import { Cli, CliError, PROG, formatOptions, type OptSpec } from './command.js';
import { makeContext, type CliContext } from './context.js';
import { registrarsFor } from './commands/index.js';
import { flushed, write } from './stdio.js';
import { CLI_VERSION } from './version.js';

const GLOBAL_OPTIONS: OptSpec[] = [
  { flags: '-D, --debug', desc: 'Enable debug mode' },
  { flags: '-H, --host', arg: 'string', desc: 'Daemon socket to connect to (default $BERTH_HOST or unix:///run/berth/berth.sock)' },
  { flags: '-l, --log-level', arg: 'string', desc: 'Set the logging level ("debug", "info", "warn", "error", "fatal")', default: 'info' },
  { flags: '-v, --version', desc: 'Print version information and quit' },
];

interface Globals {
  host: string;
  rest: string[];
  version: boolean;
}

function parseGlobals(argv: string[]): Globals {
  let host = process.env['BERTH_HOST'] || DEFAULT_HOST;
  let version = false;
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-H' || a === '--host') {
      const v = argv[++i];
      if (v === undefined) throw new CliError('flag needs an argument: --host', 125);
      host = v;
    } else if (a.startsWith('--host=')) host = a.slice(7);
    else if (a.startsWith('-H') && a.length > 2) host = a.slice(2);
    else if (a === '-D' || a === '--debug') continue;
    else if (a === '-l' || a === '--log-level' || a === '--config' || a === '-c' || a === '--context') i++;
    else if (/^--(log-level|config|context)=/.test(a)) continue;
    else if (a === '-v' || a === '--version') version = true;
    else if (a.startsWith('-') && a !== '-h' && a !== '--help') throw new CliError(`unknown flag: ${a}\nSee '${PROG} --help'.`, 125);
    else break;
  }
  return { host, rest: argv.slice(i), version };
}

function rootHelp(cli: Cli<CliContext>): string {
  const cmds = cli.topLevel().sort((a, b) => a.name.localeCompare(b.name));
  const w = Math.max(...cmds.map((c) => c.name.length)) + 2;
  const list = (xs: typeof cmds) => xs.map((c) => `  ${c.name.padEnd(w)}${c.description}\n`).join('');
  return (
    `\nUsage:  ${PROG} [OPTIONS] COMMAND\n\nA Docker-compatible container engine\n\n` +
    `Management Commands:\n${list(cmds.filter((c) => c.group))}\n` +
    `Commands:\n${list(cmds.filter((c) => !c.group))}\n` +
    `Global Options:\n${formatOptions(GLOBAL_OPTIONS)}\n` +
    `Run '${PROG} COMMAND --help' for more information on a command.\n`
  );
}

async function main(): Promise<number> {
  let g: Globals;
  try {
    g = parseGlobals(process.argv.slice(2));
  } catch (e) {
    write(2, `${(e as Error).message}\n`);
    return (e as CliError).status ?? 125;
  }
  if (g.version) {
    write(1, `${PROG} version ${CLI_VERSION}\n`);
    return 0;
  }
  const ctx = makeContext(g.host);
  const cli: Cli<CliContext> = new Cli<CliContext>(ctx, (): string => rootHelp(cli));
  for (const register of await registrarsFor(g.rest[0])) register(cli);
  try {
    return await cli.run(() => ctx, g.rest);
  } catch (e) {
    if (e instanceof ApiError) ctx.err(`Error response from daemon: ${e.message}\n`);
    else if (e instanceof ConnectError) ctx.err(`${e.message}\n`);
    else if (e instanceof CliError) {
      if (e.message) ctx.err(`${e.message}\n`);
      return e.status;
    } else ctx.err(`${PROG}: ${(e as Error).message}\n`);
    return 1;
  } finally {
    ctx.dispose();
  }
}

main().then(
  async (code) => {
    await Promise.all([flushed(1), flushed(2)]);
    // Exit now: a stdin left open by an attach session would keep the process alive.
    process.exit(code);
  },
  (e: unknown) => {
    write(2, `${PROG}: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);

/**
 * Declaring CLI commands the way docker (cobra/pflag) presents them: usage
 * line, aliases, options with value types, argument counts, and docker's
 * help and error texts. Parsing itself is commander's; this layer only
 * describes commands and renders what users see.
 */
import { Command, CommanderError, Option } from 'commander';

export const PROG = 'berth';

export interface OptSpec {
  /** `-f, --filter` or `--digests` */
  flags: string;
  /** Value type shown in help (`string`, `filter`, `list`…); none for booleans. */
  arg?: string;
  desc: string;
  /** Repeatable (collects values into a list). */
  repeat?: boolean;
  default?: string | boolean | number;
  /** Parse the value as an integer. */
  int?: boolean;
  hidden?: boolean;
}

export interface CliIO {
  out(s: string): void;
  err(s: string): void;
  stdoutIsTTY: boolean;
  stdinIsTTY: boolean;
}

/** Parsed options: camel-cased long names → values. */
export type Opts = Record<string, unknown>;

export interface CommandSpec<C> {
  /** Path from the root: `images`, `image ls`. */
  path: string;
  /** Other paths that run the same command (`image list`, `images`). */
  aliases?: string[];
  usage: string;
  description: string;
  options?: OptSpec[];
  args?: { min?: number; max?: number };
  /** Options end at the first argument (run, exec, create). */
  stopAtFirstArg?: boolean;
  action(ctx: C, args: string[], opts: Opts): Promise<number | void>;
}

export interface GroupSpec {
  path: string;
  description: string;
}

/** A failure the CLI reports with a message and exit status. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly status = 1,
  ) {
    super(message);
  }
}

/** Thrown for --help and after usage errors have been printed. */
class Exit extends Error {
  constructor(readonly status: number) {
    super(`exit ${status}`);
  }
}

interface Node {
  name: string;
  spec?: CommandSpec<unknown>;
  group?: GroupSpec;
  children: Map<string, Node>;
  /** Canonical full path when this node is an alias of another command. */
  aliasOf?: string;
}

export class Cli<C> {
  private readonly root: Node = { name: PROG, children: new Map() };
  private readonly specsByPath = new Map<string, CommandSpec<C>>();

  constructor(
    private readonly io: CliIO,
    private readonly rootHelp: () => string,
  ) {}

  group(g: GroupSpec): void {
    this.node(g.path).group = g;
  }

  add(spec: CommandSpec<C>): void {
    this.specsByPath.set(spec.path, spec);
    this.node(spec.path).spec = spec as CommandSpec<unknown>;
    for (const a of spec.aliases ?? []) {
      const n = this.node(a);
      n.spec = spec as CommandSpec<unknown>;
      n.aliasOf = spec.path;
    }
  }

  private node(path: string): Node {
    let n = this.root;
    for (const part of path.split(' ')) {
      let c = n.children.get(part);
      if (!c) {
        c = { name: part, children: new Map() };
        n.children.set(part, c);
      }
      n = c;
    }
    return n;
  }

  /** Finds the command for argv (after global options) and runs it. */
  async run(ctxFor: (spec: CommandSpec<C>) => C, argv: string[]): Promise<number> {
    let n = this.root;
    let i = 0;
    const path: string[] = [];
    while (i < argv.length && n.children.has(argv[i]!)) {
      n = n.children.get(argv[i]!)!;
      path.push(argv[i]!);
      i++;
      if (n.spec) break;
    }
    if (!n.spec) {
      const rest = argv.slice(i);
      if (n === this.root) {
        if (rest.length === 0 || rest[0] === '--help' || rest[0] === '-h' || rest[0] === 'help') {
          this.io.out(this.rootHelp());
          return 0;
        }
        this.io.err(`${PROG}: unknown command: ${PROG} ${rest[0]}\n\nRun '${PROG} --help' for more information\n`);
        return 1;
      }
      const full = `${PROG} ${path.join(' ')}`;
      if (rest.length === 0 || rest[0] === '--help' || rest[0] === '-h') {
        this.io.out(this.groupHelp(n, full));
        return 0;
      }
      this.io.err(`${PROG}: unknown command: ${full} ${rest[0]}\n\nRun '${full} --help' for more information\n`);
      return 1;
    }
    const spec = n.spec as CommandSpec<C>;
    const full = `${PROG} ${path.join(' ')}`;
    try {
      const { args, opts } = this.parse(spec, full, argv.slice(i));
      const { min, max } = spec.args ?? {};
      const count = args.length;
      let problem: string | undefined;
      if (min !== undefined && max !== undefined && min === max && count !== min) problem = `requires ${min} argument${min === 1 ? '' : 's'}`;
      else if (min !== undefined && max !== undefined && min > 0 && (count < min || count > max)) problem = `requires at least ${min} and at most ${max} arguments`;
      else if (min !== undefined && count < min) problem = `requires at least ${min} argument${min === 1 ? '' : 's'}`;
      else if (max !== undefined && count > max) problem = max === 0 ? 'accepts no arguments' : `requires at most ${max} argument${max === 1 ? '' : 's'}`;
      if (problem) {
        this.io.err(`${PROG}: '${full}' ${problem}\n\nUsage:  ${full} ${spec.usage}\n\nRun '${full} --help' for more information\n`);
        return 1;
      }
      const status = await spec.action(ctxFor(spec), args, opts);
      return typeof status === 'number' ? status : 0;
    } catch (e) {
      if (e instanceof Exit) return e.status;
      throw e;
    }
  }

  private parse(spec: CommandSpec<C>, full: string, argv: string[]): { args: string[]; opts: Opts } {
    const cmd = new Command(full);
    cmd.exitOverride();
    cmd.configureOutput({ writeOut: () => {}, writeErr: () => {} });
    cmd.helpOption(false);
    cmd.allowExcessArguments(true);
    cmd.argument('[args...]');
    if (spec.stopAtFirstArg) cmd.passThroughOptions(true);
    // Docker's run/create use -h for --hostname; --help has no short form there.
    const shortH = (spec.options ?? []).some((o) => /(^|,\s*)-h\b/.test(o.flags));
    cmd.addOption(new Option(shortH ? '--help' : '-h, --help'));
    for (const o of spec.options ?? []) {
      const opt = new Option(o.arg ? `${o.flags} <${o.arg}>` : o.flags, o.desc);
      if (o.repeat) opt.argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]);
      else if (o.int) {
        opt.argParser((v: string) => {
          const n = Number(v);
          if (!Number.isInteger(n)) throw new CommanderError(125, 'berth.badInt', `invalid argument "${v}" for "${o.flags}" flag: strconv.ParseInt: parsing "${v}": invalid syntax`);
          return n;
        });
      }
      if (o.default !== undefined) opt.default(o.default);
      cmd.addOption(opt);
    }
    let args: string[] = [];
    cmd.action((a: string[]) => {
      args = a;
    });
    const { argv: rest, overrides } = explicitBooleans(spec, argv);
    try {
      cmd.parse(rest, { from: 'user' });
    } catch (e) {
      if (e instanceof CommanderError) {
        this.io.err(`${flagError(e)}\n\nUsage:  ${full} ${spec.usage}\n\nRun '${full} --help' for more information\n`);
        throw new Exit(125);
      }
      throw e;
    }
    const opts: Opts = cmd.opts();
    if (opts['help']) {
      this.io.out(this.commandHelp(spec, full));
      throw new Exit(0);
    }
    for (const o of spec.options ?? []) {
      const long = /--([\w-]+)/.exec(o.flags)?.[1] ?? '';
      // commander reads a lone `--no-x` as x=false; docker's `--no-trunc` is its own flag.
      if (long.startsWith('no-') && !o.arg) opts[camel(long)] = opts[camel(long.slice(3))] === false;
      if (o.repeat) opts[camel(o.flags)] ??= [];
    }
    return { args, opts: { ...opts, ...overrides } };
  }

  private commandHelp(spec: CommandSpec<C>, full: string): string {
    let s = `\nUsage:  ${full} ${spec.usage}\n\n${spec.description}\n`;
    const paths = [spec.path, ...(spec.aliases ?? [])];
    if (paths.length > 1) {
      const sorted = paths.filter((p) => p !== spec.path).concat(spec.path);
      s += `\nAliases:\n  ${sorted.map((p) => `${PROG} ${p}`).join(', ')}\n`;
    }
    const opts = (spec.options ?? []).filter((o) => !o.hidden);
    if (opts.length) s += `\nOptions:\n${formatOptions(opts)}`;
    return s;
  }

  private groupHelp(n: Node, full: string): string {
    // A command shows once per group, under its first name there (`ls`, not also `list`).
    const seen = new Set<unknown>();
    const cmds = [...n.children.values()]
      .filter((c) => {
        if (!c.spec || seen.has(c.spec)) return false;
        seen.add(c.spec);
        return true;
      })
      .sort((a, b) => a.name.localeCompare(b.name));
    const w = Math.max(...cmds.map((c) => c.name.length), 10) + 2;
    let s = `\nUsage:  ${full} COMMAND\n\n${n.group?.description ?? ''}\n\nCommands:\n`;
    for (const c of cmds) s += `  ${c.name.padEnd(w)}${c.spec!.description}\n`;
    s += `\nRun '${full} COMMAND --help' for more information on a command.\n`;
    return s;
  }

  /** Top-level commands (for the root help). */
  topLevel(): { name: string; description: string; group: boolean }[] {
    return [...this.root.children.values()].map((c) => ({
      name: c.name,
      description: c.group?.description ?? c.spec?.description ?? '',
      group: !!c.group,
    }));
  }
}

/**
 * pflag accepts `--flag=false` and `-f=true` for booleans; commander does not.
 * Such arguments are taken out here and their values applied after parsing.
 */
function explicitBooleans(spec: CommandSpec<unknown>, argv: string[]): { argv: string[]; overrides: Opts } {
  const overrides: Opts = {};
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (spec.stopAtFirstArg && !a.startsWith('-')) {
      out.push(...argv.slice(i));
      break;
    }
    const m = /^(--?[\w-]+)=(.*)$/.exec(a);
    const o = m && (spec.options ?? []).find((x) => !x.arg && x.flags.split(/,\s*/).includes(m[1]!));
    if (m && o) overrides[camel(o.flags)] = parseGoBool(m[2]!, o.flags);
    else out.push(a);
  }
  return { argv: out, overrides };
}

/** strconv.ParseBool, as pflag applies it to `--flag=value`. */
function parseGoBool(v: string, flags: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  throw new CliError(`invalid argument "${v}" for "${flags}" flag: strconv.ParseBool: parsing "${v}": invalid syntax`, 125);
}

function camel(flags: string): string {
  const long = /--([\w-]+)/.exec(flags)?.[1] ?? flags.replace(/^-/, '');
  return long.replace(/-(\w)/g, (_m, c: string) => c.toUpperCase());
}

function flagError(e: CommanderError): string {
  const m = /'([^']+)'/.exec(e.message);
  switch (e.code) {
    case 'commander.unknownOption': {
      const flag = m?.[1] ?? '';
      return flag.startsWith('--') ? `unknown flag: ${flag}` : `unknown shorthand flag: '${flag.replace(/^-/, '').charAt(0)}' in ${flag}`;
    }
    case 'commander.optionMissingArgument':
      return `flag needs an argument: ${m?.[1]?.split(/[ ,]/).pop() ?? ''}`;
    default:
      return e.message.replace(/^error: /, '');
  }
}

/** Options in cobra's help layout: flags column, then wrapped descriptions. */
export function formatOptions(opts: OptSpec[]): string {
  const left = opts.map((o) => {
    const [a, b] = o.flags.split(/,\s*/);
    const flags = b ? `${a}, ${b}` : `    ${a}`;
    return `  ${flags}${o.arg ? ` ${o.arg}` : ''}`;
  });
  const w = Math.max(...left.map((l) => l.length)) + 3;
  return (
    opts
      .map((o, i) => {
        const def = o.default !== undefined && o.default !== false && o.default !== '' ? ` (default ${typeof o.default === 'string' ? `"${o.default}"` : o.default})` : '';
        const lines = `${o.desc}${def}`.split('\n');
        return `${left[i]!.padEnd(w)}${lines[0]}\n${lines
          .slice(1)
          .map((l) => `${' '.repeat(w)}${l}\n`)
          .join('')}`;
      })
      .join('')
  );
}

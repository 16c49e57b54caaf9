/** Registry commands: pull, push, login, logout; and the pull that run/create do. */
import { stdinBody } from '../stdio.js';
import type { IncomingMessage } from 'node:http';
import type { AuthResponse } from '../../api/types/registry.js';
import type { JsonMessage, RequestOptions } from '../../client/client.js';
import { CliError, type Cli } from '../command.js';
import type { CliContext, EngineClient } from '../context.js';
import { DOCKER_HUB_KEY, authHeaderFor, authKey, configPath, loadConfig, matchingKeys, saveConfig, storeAuth } from '../auth-config.js';
import { apiTag, canonicalString, familiarName, isNameOnly, parseImageRef, withDefaultTag, type ImageRef } from '../image-ref.js';
import { ProgressDisplay } from '../progress.js';

const enc = encodeURIComponent;

/**
 * Reads a JSON-lines reply, handing each message to onMessage. An error
 * message in the stream ends it with a CliError carrying the daemon's text
 * (docker prints it bare); HTTP errors come from client.stream as ApiError.
 */
export async function readJsonStream(res: IncomingMessage, onMessage: (m: JsonMessage) => void): Promise<void> {
  let buf = '';
  let failure: string | undefined;
  const handle = (line: string) => {
    if (!line.trim()) return;
    let m: JsonMessage;
    try {
      m = JSON.parse(line) as JsonMessage;
    } catch {
      return;
    }
    if (m.error || m.errorDetail) failure ??= m.errorDetail?.message ?? m.error ?? 'unknown error';
    else if (!failure) onMessage(m);
  };
  for await (const chunk of res) {
    buf += (chunk as Buffer).toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      handle(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  }
  handle(buf);
  if (failure !== undefined) throw new CliError(failure, 1);
}

async function streamRequest(client: EngineClient, method: string, path: string, opts: RequestOptions, onMessage: (m: JsonMessage) => void): Promise<void> {
  const res = await client.stream(method, path, opts);
  await readJsonStream(res, onMessage);
}

/**
 * Pulls an image as `run`/`create` do (docker's pullImage): progress on
 * `write` (stderr for run), credentials from the config file.
 */
export async function pullImage(ctx: CliContext, image: string, opts: { platform?: string; write?: (s: string) => void; tty?: boolean }): Promise<void> {
  const ref = parseImageRef(image);
  const display = opts.write ? new ProgressDisplay(opts.write, !!opts.tty) : undefined;
  await streamRequest(
    ctx.client(),
    'POST',
    '/images/create',
    { query: { fromImage: familiarName(ref), tag: apiTag(ref), platform: opts.platform }, headers: authHeaderFor(ref.domain) },
    (m) => display?.show(m),
  );
}

function readAllStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const input = stdinBody();
    input.on('data', (c: Buffer | string) => chunks.push(Buffer.from(c)));
    input.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    input.on('error', reject);
  });
}

/** Asks a question on the terminal; with `secret`, without echo. */
async function prompt(question: string, secret: boolean): Promise<string> {
  // Loaded here: `run` imports this module (pullImage), and under Bun these two cost milliseconds at its start.
  const [{ createInterface }, { Writable }] = await Promise.all([import('node:readline'), import('node:stream')]);
  let muted = false;
  const out = new Writable({
    write(chunk: Buffer, _e, cb) {
      if (!muted) process.stdout.write(chunk);
      cb();
    },
  });
  const rl = createInterface({ input: process.stdin, output: out, terminal: true });
  return new Promise((resolve) => {
    rl.question(question, (answer) => {
      rl.close();
      if (secret) process.stdout.write('\n');
      resolve(answer);
    });
    muted = secret;
  });
}

export function registerRegistryCommands(cli: Cli<CliContext>): void {
  cli.add({
    path: 'pull',
    aliases: ['image pull'],
    usage: '[OPTIONS] NAME[:TAG|@DIGEST]',
    description: 'Download an image from a registry',
    args: { min: 1, max: 1 },
    options: [
      { flags: '-a, --all-tags', desc: 'Download all tagged images in the repository' },
      { flags: '--disable-content-trust', desc: 'Skip image verification', default: true },
      { flags: '--platform', arg: 'string', desc: 'Set platform if server is multi-platform capable' },
      { flags: '-q, --quiet', desc: 'Suppress verbose output' },
    ],
    async action(ctx, args, o) {
      let ref = parseImageRef(args[0]!);
      const all = !!o['allTags'];
      const quiet = !!o['quiet'];
      if (all && !isNameOnly(ref)) throw new CliError('tag can\'t be used with --all-tags/-a', 1);
      if (!all && isNameOnly(ref)) {
        ref = withDefaultTag(ref);
        if (!quiet) ctx.out(`Using default tag: ${ref.tag}\n`);
      }
      const display = new ProgressDisplay((s) => ctx.out(s), ctx.stdoutIsTTY);
      await streamRequest(
        ctx.client(),
        'POST',
        '/images/create',
        {
          query: { fromImage: familiarName(ref), ...(all ? {} : { tag: apiTag(ref) }), platform: (o['platform'] as string | undefined)?.toLowerCase() },
          headers: authHeaderFor(ref.domain),
        },
        (m) => {
          if (!quiet) display.show(m);
        },
      );
      ctx.out(`${canonicalString(ref)}\n`);
    },
  });

  cli.add({
    path: 'push',
    aliases: ['image push'],
    usage: '[OPTIONS] NAME[:TAG]',
    description: 'Upload an image to a registry',
    args: { min: 1, max: 1 },
    options: [
      { flags: '-a, --all-tags', desc: 'Push all tags of an image to the repository' },
      { flags: '--disable-content-trust', desc: 'Skip image signing', default: true },
      { flags: '-q, --quiet', desc: 'Suppress verbose output' },
    ],
    async action(ctx, args, o) {
      let ref: ImageRef = parseImageRef(args[0]!);
      const all = !!o['allTags'];
      const quiet = !!o['quiet'];
      if (ref.digest) throw new CliError('cannot push a digest reference', 1);
      if (all && !isNameOnly(ref)) throw new CliError('tag can\'t be used with --all-tags/-a', 1);
      if (!all && isNameOnly(ref)) {
        ref = withDefaultTag(ref);
        if (!quiet) ctx.out(`Using default tag: ${ref.tag}\n`);
      }
      const display = new ProgressDisplay((s) => ctx.out(s), ctx.stdoutIsTTY);
      await streamRequest(
        ctx.client(),
        'POST',
        `/images/${enc(familiarName(ref))}/push`,
        { query: { tag: ref.tag }, headers: authHeaderFor(ref.domain) },
        (m) => {
          if (!quiet) display.show(m);
        },
      );
      if (quiet) ctx.out(`${canonicalString(ref)}\n`);
    },
  });

  cli.add({
    path: 'login',
    usage: '[OPTIONS] [SERVER]',
    description: 'Log in to a registry',
    args: { max: 1 },
    options: [
      { flags: '-p, --password', arg: 'string', desc: 'Password' },
      { flags: '--password-stdin', desc: 'Take the password from stdin' },
      { flags: '-u, --username', arg: 'string', desc: 'Username' },
    ],
    async action(ctx, args, o) {
      let username = (o['username'] as string | undefined)?.trim();
      let password = o['password'] as string | undefined;
      if (password !== undefined) {
        ctx.err('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
        if (o['passwordStdin']) throw new CliError('--password and --password-stdin are mutually exclusive', 1);
      }
      if (o['passwordStdin']) {
        if (!username) throw new CliError('Must provide --username with --password-stdin', 1);
        password = (await readAllStdin()).replace(/\r?\n$/, '').replace(/\r$/, '');
      }
      const server = args[0];
      const key = server ? authKey(server) : DOCKER_HUB_KEY;
      if (!username || !password) {
        if (!ctx.stdinIsTTY) throw new CliError('Error: Cannot perform an interactive login from a non TTY device', 1);
        if (key === DOCKER_HUB_KEY) {
          ctx.out('Log in with your Docker ID or email address to push and pull images from Docker Hub.\n');
        }
        if (!username) username = (await prompt('Username: ', false)).trim();
        if (!username) throw new CliError('Error: Non-null Username Required', 1);
        if (!password) password = await prompt('Password: ', true);
        if (!password) throw new CliError('Error: Password Required', 1);
      }
      const res = await ctx.client().json<AuthResponse>('POST', '/auth', { body: { username, password, serveraddress: key } });
      const path = configPath();
      const cfg = loadConfig(path);
      storeAuth(cfg, key, { username, password, ...(res.IdentityToken ? { identitytoken: res.IdentityToken } : {}) });
      try {
        saveConfig(cfg, path);
      } catch (e) {
        throw new CliError(`Error saving credentials: ${(e as Error).message}`, 1);
      }
      ctx.err(
        `WARNING! Your password will be stored unencrypted in ${path}.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/engine/reference/commandline/login/#credentials-store\n\n`,
      );
      ctx.out(`${res.Status || 'Login Succeeded'}\n`);
    },
  });

  cli.add({
    path: 'logout',
    usage: '[SERVER]',
    description: 'Log out from a registry',
    args: { max: 1 },
    async action(ctx, args) {
      const server = args[0];
      const key = server ? authKey(server) : DOCKER_HUB_KEY;
      const shown = key;
      const path = configPath();
      const cfg = loadConfig(path);
      const keys = matchingKeys(cfg, key);
      if (keys.length === 0) {
        ctx.out(`Not logged in to ${shown}\n`);
        return;
      }
      ctx.out(`Removing login credentials for ${shown}\n`);
      for (const k of keys) delete cfg.auths![k];
      saveConfig(cfg, path);
    },
  });
}

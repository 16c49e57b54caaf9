/**
 * `berth build` (also `image build`, `builder build`) and `builder prune`:
 * docker's classic build as the docker CLI runs it with DOCKER_BUILDKIT=0.
 * The context (a directory tarred here with .dockerignore applied, a tar or
 * Dockerfile on stdin, or a URL) goes to `POST /build`; the daemon's
 * JSON-message stream is shown as docker shows it; a failing step ends the
 * command with the daemon's message and the step's exit code.
 */
import { stdinBody } from '../stdio.js';
import { promises as fs } from 'node:fs';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { loadConfig } from '../auth-config.js';
import { CliError, PROG, type Cli, type Opts } from '../command.js';
import type { CliContext } from '../context.js';
import { contextExcludes, dockerfileOutside, extraDockerfile, packContext, resolveLocalContext, walkContext, type ExtraFile } from '../build/context-dir.js';
import { contextFromStream, readAll } from '../build/context-stream.js';
import { MessageDisplay, StreamError } from '../build/display.js';
import { BUILD_OPTIONS, FlagValueError, buildSettings, registryConfigHeader, type BuildSettings } from '../build/options.js';
import { UploadProgress } from '../build/upload.js';
import { humanSize } from '../format/units.js';
import { ramInBytes } from '../opts/goparse.js';
import { confirmLine, filtersQuery } from './shared.js';

const USAGE = '[OPTIONS] PATH | URL | -';

/** The context as it is sent: a tar stream (maybe compressed) and the Dockerfile's name in it. */
interface PreparedContext {
  body: Readable;
  dockerfile: string | undefined;
}

const isUrl = (s: string): boolean => /^https?:\/\//.test(s);
const isGitUrl = (s: string): boolean => /^(git:\/\/|github\.com\/|git@)/.test(s) || (isUrl(s) && /\.git(?:#.+)?$/.test(s));

async function isLocalPath(p: string): Promise<boolean> {
  return fs.stat(p).then(
    () => true,
    () => false,
  );
}

/** A directory context: walked, filtered by .dockerignore, packed; a Dockerfile from stdin or outside the context added. */
async function localContext(ctx: CliContext, arg: string, dockerfile: string | undefined): Promise<PreparedContext> {
  const { dir, relDockerfile } = await resolveLocalContext(arg, dockerfile);
  let extra: ExtraFile | undefined;
  if (dockerfile === '-') extra = extraDockerfile(await readAll(stdinBody()));
  else if (dockerfileOutside(relDockerfile)) {
    const data = await fs.readFile(dockerfile!).catch((e: NodeJS.ErrnoException) => {
      throw new CliError(`unable to open Dockerfile: open ${dockerfile}: ${e.code === 'ENOENT' ? 'no such file or directory' : e.message}`);
    });
    extra = extraDockerfile(data);
  }
  const excludes = await contextExcludes(dir, relDockerfile, dockerfile === '-');
  const entries = await walkContext(dir, excludes, (msg) => ctx.err(`${msg}\n`));
  return { body: packContext(entries, extra), dockerfile: extra ? extra.name : relDockerfile };
}

/** A URL context: downloaded, then an archive or a Dockerfile as with stdin. */
async function urlContext(url: string, dockerfile: string | undefined): Promise<PreparedContext> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new CliError(`unable to prepare context: unable to download remote context ${url}: ${(e as Error).message}`);
  }
  if (res.status >= 400 || !res.body) {
    const text = (await res.text()).trim();
    throw new CliError(`unable to prepare context: unable to download remote context ${url}: failed to GET ${url} with status ${res.status} ${res.statusText}: ${text}`);
  }
  return contextFromStream(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>), dockerfile);
}

async function prepareContext(ctx: CliContext, arg: string, dockerfile: string | undefined): Promise<PreparedContext> {
  if (dockerfile === '-' && arg === '-') throw new CliError("invalid argument: can't use stdin for both build context and dockerfile");
  if (arg === '-') return contextFromStream(stdinBody(), dockerfile);
  if (await isLocalPath(arg)) return localContext(ctx, arg, dockerfile);
  if (isGitUrl(arg)) throw new CliError(`unable to prepare context: ${arg}: git contexts are not supported by ${PROG} build; clone the repository and build from its directory`);
  if (isUrl(arg)) return urlContext(arg, dockerfile);
  throw new CliError(`unable to prepare context: path "${arg}" not found`);
}

/**
 * docker's content trust rewrites FROM lines to digests signed in Notary;
 * berth has no Notary client, so a build that asks for it is refused rather
 * than run unverified. It is on with DOCKER_CONTENT_TRUST (any value but a
 * false one) unless --disable-content-trust says otherwise.
 */
function refuseContentTrust(o: Opts): void {
  const env = process.env['DOCKER_CONTENT_TRUST'] ?? '';
  const envOn = env !== '' && !['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(env);
  const disabled = (o['disableContentTrust'] as boolean | undefined) ?? !envOn;
  if (!disabled) throw new CliError(`${PROG} build: content trust is not supported (DOCKER_CONTENT_TRUST or --disable-content-trust=false); unset it to build`);
}

/** --squash is an experimental flag: docker refuses it unless the daemon runs with experimental features. */
async function refuseSquash(ctx: CliContext): Promise<void> {
  const res = await ctx.client().request('GET', '/_ping');
  res.resume();
  if (res.headers['docker-experimental'] !== 'true') throw new CliError('"--squash" is only supported on a Docker daemon with experimental features enabled');
}

async function runBuild(ctx: CliContext, full: string, arg: string, o: Opts): Promise<number> {
  let s: BuildSettings;
  try {
    s = buildSettings(o, process.env, loadConfig(), ctx.host);
  } catch (e) {
    if (!(e instanceof FlagValueError)) throw e;
    throw new CliError(`${e.message}\n\nUsage:  ${full} ${USAGE}\n\nRun '${full} --help' for more information`, 125);
  }
  refuseContentTrust(o);
  if (o['squash']) await refuseSquash(ctx);
  if (s.iidfile) await fs.rm(s.iidfile, { force: true });
  const prepared = await prepareContext(ctx, arg, s.dockerfile);

  // -q keeps both outputs until the end: the daemon's (the ID) goes to stdout, both to stderr on failure.
  let progHeld = '';
  let buildHeld = '';
  const showProgress = s.quiet ? (t: string) => void (progHeld += t) : (t: string) => ctx.out(t);
  const showBuild = s.quiet ? (t: string) => void (buildHeld += t) : (t: string) => ctx.out(t);
  const tty = ctx.stdoutIsTTY && !s.quiet;
  const upload = new UploadProgress(showProgress, tty);
  let body: Readable = prepared.body;
  if (s.compress) body = body.pipe(createGzip());
  body.on('error', (e) => upload.destroy(e));
  body = body.pipe(upload);

  const client = ctx.client();
  const query = { ...s.query, dockerfile: prepared.dockerfile };
  const headers = { 'X-Registry-Config': registryConfigHeader(loadConfig()) };
  let res;
  try {
    res = await client.stream('POST', '/build', { query, body, headers, contentType: 'application/x-tar' });
  } catch (e) {
    if (s.quiet) ctx.err(progHeld);
    throw e;
  }
  let imageId = '';
  const display = new MessageDisplay(showBuild, tty, (aux) => {
    const id = (aux as { ID?: unknown } | null)?.ID;
    if (typeof id === 'string') imageId = id;
  });
  try {
    await display.consume(res);
  } catch (e) {
    if (!(e instanceof StreamError)) throw e;
    if (s.quiet) ctx.err(progHeld + buildHeld);
    throw new CliError(e.message, e.code || 1);
  }
  if (s.quiet) {
    imageId = buildHeld;
    ctx.out(imageId);
  }
  if (s.iidfile) {
    if (!imageId) throw new CliError(`Server did not provide an image ID. Cannot write ${s.iidfile}`);
    await fs.writeFile(s.iidfile, imageId, { mode: 0o666 });
  }
  return 0;
}

interface CachePruneReport {
  CachesDeleted?: string[] | null;
  SpaceReclaimed?: number;
}

export function registerBuildCommands(cli: Cli<CliContext>): void {
  cli.group({ path: 'builder', description: 'Manage builds' });
  cli.add({
    path: 'build',
    aliases: ['image build', 'builder build'],
    usage: USAGE,
    description: 'Build an image from a Dockerfile',
    args: { min: 1, max: 1 },
    options: BUILD_OPTIONS,
    async action(ctx, args, o) {
      return runBuild(ctx, `${PROG} build`, args[0]!, o);
    },
  });

  cli.add({
    path: 'builder prune',
    usage: '',
    description: 'Remove build cache',
    args: { max: 0 },
    options: [
      { flags: '-a, --all', desc: 'Remove all unused build cache, not just\ndangling ones' },
      { flags: '--filter', arg: 'filter', desc: 'Provide filter values (e.g. "until=24h")', repeat: true },
      { flags: '-f, --force', desc: 'Do not prompt for confirmation' },
      { flags: '--keep-storage', arg: 'bytes', desc: 'Amount of disk space to keep for cache' },
    ],
    async action(ctx, _args, o) {
      let keep: number | undefined;
      const keepArg = o['keepStorage'] as string | undefined;
      if (keepArg !== undefined) {
        try {
          keep = ramInBytes(keepArg);
        } catch (e) {
          throw new CliError(`invalid argument "${keepArg}" for "--keep-storage" flag: ${(e as Error).message}\n\nUsage:  ${PROG} builder prune\n\nRun '${PROG} builder prune --help' for more information`, 125);
        }
      }
      const filters = filtersQuery(o['filter'] as string[]);
      const warning = `WARNING! This will remove all ${o['all'] ? '' : 'dangling '}build cache. Are you sure you want to continue?`;
      if (!o['force'] && !(await confirmLine(ctx, warning))) return 0;
      const r = await ctx.client().json<CachePruneReport>('POST', '/build/prune', {
        query: {
          all: o['all'] ? true : undefined,
          'keep-storage': keep || undefined,
          filters: Object.keys(filters).length ? JSON.stringify(filters) : undefined,
        },
      });
      if (r.CachesDeleted?.length) ctx.out(`Deleted build cache objects:\n${r.CachesDeleted.map((id) => `${id}\n`).join('')}\n`);
      ctx.out(`Total reclaimed space: ${humanSize(r.SpaceReclaimed ?? 0, 4)}\n`);
    },
  });
}

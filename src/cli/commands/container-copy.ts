/** `cp`: copying between a container (the archive endpoints) and the local filesystem or stdio. */
import { createReadStream, createWriteStream, promises as fs, statSync } from 'node:fs';
import { basename, dirname, posix, resolve } from 'node:path';
import { pipeline } from '../lazy-stream.js';
import type { PathStat } from '../../api/types/containers.js';
import { ApiError } from '../../client/client.js';
import { CliError, type Opts } from '../command.js';
import type { CliContext, EngineClient } from '../context.js';

const enc = encodeURIComponent;

/** Go's os.ModeSymlink bit in a path stat's mode. */
const GO_MODE_SYMLINK = 2 ** 27;

interface ContainerPath {
  container: string;
  path: string;
}

/** `CONTAINER:PATH`, or undefined for a local path (absolute, `./…`, or without a colon). */
function splitContainerPath(s: string): ContainerPath | undefined {
  const i = s.indexOf(':');
  return i > 0 && !s.startsWith('/') && !s.startsWith('.') ? { container: s.slice(0, i), path: s.slice(i + 1) } : undefined;
}

/** berth cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|- and berth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH */
export async function cp(ctx: CliContext, args: string[], o: Opts): Promise<number> {
  const from = splitContainerPath(args[0]!);
  const to = splitContainerPath(args[1]!);
  if ((from && to) || (!from && !to)) throw new CliError('copying between containers is not supported; one side must be a local path, the other CONTAINER:PATH', 1);
  if (from) await copyFromContainer(ctx, from, args[1]!, !!o['followLink']);
  else await copyToContainer(ctx, args[0]!, to!);
  return 0;
}

async function copyFromContainer(ctx: CliContext, from: ContainerPath, dest: string, followLink: boolean): Promise<void> {
  const client = ctx.client();
  // -L (docker's followLink): when the source is a symlink, copy what it leads to (the daemon
  // resolves it inside the container) under the link's own name.
  let srcPath = from.path;
  let rebaseName: string | undefined;
  if (followLink) {
    const st = await pathStat(client, from.container, from.path).catch(() => undefined);
    if (st && (st.mode & GO_MODE_SYMLINK) !== 0 && st.linkTarget) {
      srcPath = posix.isAbsolute(st.linkTarget) ? st.linkTarget : posix.join(posix.dirname(from.path), st.linkTarget);
      rebaseName = basename(from.path.replace(/\/+$/, ''));
    }
  }
  const res = await client.stream('GET', `/containers/${enc(from.container)}/archive`, { query: { path: srcPath } });
  if (dest === '-') await pipeline(res, ctx.stdout);
  else await copyOut(res, srcPath, dest, rebaseName);
}

async function copyToContainer(ctx: CliContext, src: string, to: ContainerPath): Promise<void> {
  const client = ctx.client();
  if (src === '-') {
    await client.json('PUT', `/containers/${enc(to.container)}/archive`, { query: { path: to.path }, body: ctx.stdin, contentType: 'application/x-tar' });
    return;
  }
  await copyIn(client, src, to.container, to.path);
}

/** The daemon's stat of a path in a container (HEAD archive: the X-Docker-Container-Path-Stat header). */
async function pathStat(client: EngineClient, container: string, path: string): Promise<PathStat> {
  const res = await client.stream('HEAD', `/containers/${enc(container)}/archive`, { query: { path } });
  res.resume();
  const header = res.headers['x-docker-container-path-stat'];
  if (typeof header !== 'string') throw new CliError(`the daemon sent no stat for ${container}:${path}`, 1);
  return JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as PathStat;
}

/**
 * Writes a `cp` archive to the local path: into a directory, or as the named
 * file. With rebaseName, the archive's top entry takes that name (cp -L of a
 * link copies its target under the link's name).
 */
async function copyOut(res: NodeJS.ReadableStream, srcPath: string, dest: string, rebaseName?: string): Promise<void> {
  const { extract } = await import('tar-stream').then((m) => m.default);
  let destIsDir = false;
  try {
    destIsDir = statSync(dest).isDirectory();
  } catch {
    destIsDir = false;
  }
  const target = resolve(dest);
  const ex = extract();
  const rootName = basename(srcPath.replace(/\/+$/, '')) || '/';
  const done = (async () => {
    for await (const e of ex) {
      const name = e.header.name.replace(/\/$/, '');
      const rel = name === rootName ? '' : name.slice(rootName.length + 1);
      const local = rebaseName === undefined ? name : rel ? `${rebaseName}/${rel}` : rebaseName;
      const out = destIsDir ? resolve(target, local) : rel ? resolve(target, rel) : target;
      if (!out.startsWith(destIsDir ? target : dirname(target))) throw new CliError(`refusing to write ${name} outside ${dest}`, 1);
      if (e.header.type === 'directory') {
        await fs.mkdir(out, { recursive: true, mode: e.header.mode ?? 0o755 });
        e.resume();
      } else if (e.header.type === 'file') {
        await pipeline(e, createWriteStream(out, { mode: e.header.mode ?? 0o644 }));
      } else if (e.header.type === 'symlink') {
        await fs.rm(out, { force: true });
        await fs.symlink(e.header.linkname ?? '', out);
        e.resume();
      } else e.resume();
    }
  })();
  await pipeline(res, ex);
  await done;
}

/** Sends a local file or directory as a tar to CONTAINER:PATH. */
async function copyIn(client: EngineClient, src: string, container: string, destPath: string): Promise<void> {
  const tar = (await import('tar-stream')).default;
  await fs.lstat(src).catch(() => {
    throw new CliError(`lstat ${src}: no such file or directory`, 1);
  });
  // Copying to an existing directory puts the source inside it; otherwise the destination names the copy.
  let parent = destPath;
  let name = basename(resolve(src));
  try {
    await client.json('HEAD', `/containers/${enc(container)}/archive`, { query: { path: destPath } });
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 404) throw e;
    parent = dirname(destPath);
    name = basename(destPath);
  }
  const pack = tar.pack();
  const add = async (abs: string, rel: string): Promise<void> => {
    const s = await fs.lstat(abs);
    if (s.isDirectory()) {
      pack.entry({ name: `${rel}/`, type: 'directory', mode: s.mode & 0o7777, mtime: s.mtime });
      for (const c of (await fs.readdir(abs)).sort()) await add(`${abs}/${c}`, `${rel}/${c}`);
    } else if (s.isSymbolicLink()) {
      pack.entry({ name: rel, type: 'symlink', linkname: await fs.readlink(abs), mode: s.mode & 0o7777, mtime: s.mtime });
    } else if (s.isFile()) {
      await new Promise<void>((res, rej) => {
        const entry = pack.entry({ name: rel, size: s.size, mode: s.mode & 0o7777, mtime: s.mtime }, (err) => (err ? rej(err) : res()));
        pipeline(createReadStream(abs), entry).catch(rej);
      });
    }
  };
  const producing = add(resolve(src), name).then(() => pack.finalize(), (e: unknown) => pack.destroy(e as Error));
  const { Readable } = await import('node:stream');
  await client.json('PUT', `/containers/${enc(container)}/archive`, { query: { path: parent }, body: Readable.from(pack), contentType: 'application/x-tar' });
  await producing;
}

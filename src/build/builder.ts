/**
 * Docker's classic builder: a Dockerfile's stages run instruction by
 * instruction, each step committing an image whose parent is the step
 * before (the chain the cache walks). Steps that change files (RUN, COPY,
 * ADD, WORKDIR) run in a container made through berth's own container path
 * and add a layer when they changed something; the others only change the
 * config and add an `empty_layer` history entry (`/bin/sh -c #(nop) …`).
 *
 * The cache (unless noCache): a step reuses an image whose parent is the
 * current image and whose container_config (the step's config with its
 * command, `#(nop) COPY file:<hash> in …` for copies) is the same; with
 * cacheFrom, only the chains of those images are looked at (Docker's rule).
 *
 * Intermediate containers: removed after a successful step with rm, after a
 * failed one only with forceRm; containers used to read COPY --from sources
 * always. A cancelled build (the signal: the client went away) kills the
 * running step and fails.
 *
 * Error contract: throws EngineError (InvalidParameter for Dockerfile
 * errors, with Docker's messages); a RUN that exits non-zero throws
 * StepFailed with the exit code.
 */
import { posix } from 'node:path';
import { EngineError, invalidParameter, notFound } from '../errdefs/errdefs.js';
import type { LayerRecord } from '../image/image-store.js';
import type { ContainerDefaults, HistoryEntry, ImageConfigFile } from '../image/oci.js';
import { canonical, cloneDefaults } from './config.js';
import type { BuildContainers, BuildImage, BuildImages, StepSpec } from './contracts.js';
import { contentDigest, contextSources, copyTar, planDestination, ROOT, type CopyPlan, type Source } from './copy.js';
import { parseDockerfile, type Instruction } from './dockerfile/parser.js';
import { envMap, processWord } from './dockerfile/shell-lex.js';
import { applyConfigInstruction, command, DEFAULT_SHELL, one } from './instructions.js';
import type { BuildOptions, BuildOutput } from './options.js';
import { globMatcher } from '../util/re2.js';

/** A RUN step exited non-zero: Docker's message and the exit code for errorDetail. */
export class StepFailed extends EngineError {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super('InvalidParameter', message);
  }
}

export interface HostPlatform {
  os: string;
  architecture: string;
  variant?: string;
}

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Build args usable without an ARG line, and kept out of the history and the cache key. */
const PROXY_ARGS = new Set(['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy']);

interface Stage {
  name?: string;
  from: Instruction;
  commands: Instruction[];
}

interface State {
  /** The current image (undefined: `FROM scratch` before any step). */
  imageId: string | undefined;
  base: ImageConfigFile;
  layers: LayerRecord[];
  config: ContainerDefaults;
  history: HistoryEntry[];
  author?: string;
  /** ARGs declared in this stage and their values (undefined: declared without one). */
  args: Map<string, string | undefined>;
  cmdSet: boolean;
}

export interface BuildDeps {
  containers: BuildContainers;
  images: BuildImages;
  platform: HostPlatform;
  signal: AbortSignal;
}

export class Builder {
  private step = 0;
  private total = 0;
  private readonly usedArgs = new Set<string>();
  private readonly metaArgs = new Map<string, string | undefined>();
  private readonly stageImages: { name?: string; id: string | undefined }[] = [];
  private readonly escape: string;
  private readonly stages: Stage[];
  private readonly meta: Instruction[];
  private readonly cacheSet: Set<string> | undefined;

  constructor(
    private readonly d: BuildDeps,
    private readonly opts: BuildOptions,
    private readonly out: BuildOutput,
    private readonly contextDir: string,
    dockerfile: string,
    /** This build's own scratch space (ADD's downloads). */
    private readonly scratchDir: string,
  ) {
    if (opts.platform) checkPlatform(opts.platform, d.platform);
    const df = parseDockerfile(dockerfile);
    this.escape = df.escape;
    ({ meta: this.meta, stages: this.stages } = splitStages(df.instructions));
    if (opts.target !== undefined) {
      const i = this.stages.findIndex((s) => s.name === opts.target!.toLowerCase());
      if (i < 0) throw invalidParameter(`failed to reach build target ${opts.target} in Dockerfile`);
      this.stages = this.stages.slice(0, i + 1);
    }
    const labels = Object.keys(opts.labels).sort();
    if (labels.length) {
      const text = `LABEL ${labels.map((k) => `${quoteIfNeeded(k)}=${quoteIfNeeded(opts.labels[k]!)}`).join(' ')}`;
      this.stages.at(-1)!.commands.push({ cmd: 'label', flags: [], args: labels.map((k) => `${quoteIfNeeded(k)}=${quoteIfNeeded(opts.labels[k]!)}`), json: false, original: text, line: 0 });
    }
    this.total = this.meta.length + this.stages.reduce((n, s) => n + 1 + s.commands.length, 0);
    this.cacheSet = opts.cacheFrom.length ? this.cacheChains(opts.cacheFrom) : undefined;
  }

  /** Runs the build; resolves with the final image's ID. */
  async build(): Promise<string> {
    for (const a of this.meta) {
      this.stepLine(a);
      for (const [k, v] of this.argPairs(a, new Map())) this.metaArgs.set(k, this.argValue(k, v));
    }
    let last: string | undefined;
    for (const stage of this.stages) {
      last = await this.buildStage(stage);
      this.stageImages.push({ ...(stage.name ? { name: stage.name } : {}), id: last });
    }
    if (!last) throw invalidParameter('No image was generated. Is your Dockerfile empty?');
    const unused = Object.keys(this.opts.buildArgs).filter((k) => !this.usedArgs.has(k) && !PROXY_ARGS.has(k)).sort();
    if (unused.length) this.out.stream(`[Warning] One or more build-args [${unused.join(' ')}] were not consumed\n`);
    return last;
  }

  // --- stages -------------------------------------------------------------------

  private async buildStage(stage: Stage): Promise<string | undefined> {
    this.stepLine(stage.from);
    const s = await this.from(stage.from);
    const triggers = s.config.OnBuild ?? [];
    s.config.OnBuild = null;
    if (triggers.length) {
      this.out.stream(`# Executing ${triggers.length} build trigger${triggers.length > 1 ? 's' : ''}\n`);
      for (const t of triggers) {
        const ins = parseDockerfile(t).instructions[0];
        if (ins) await this.dispatch(s, ins);
      }
    }
    for (const ins of stage.commands) {
      this.checkCancelled();
      this.stepLine(ins);
      await this.dispatch(s, ins);
    }
    return s.imageId;
  }

  private async from(ins: Instruction): Promise<State> {
    const env = this.metaEnv();
    for (const f of ins.flags) if (f.name !== 'platform') throw unknownFlag(ins, f.name);
    const platform = ins.flags.find((f) => f.name === 'platform')?.value;
    if (platform) checkPlatform(processWord(platform, env, this.escape), this.d.platform);
    if (ins.args.length !== 1 && !(ins.args.length === 3 && ins.args[1]!.toLowerCase() === 'as')) {
      throw invalidParameter('FROM requires either one or three arguments');
    }
    const name = processWord(ins.args[0]!, env, this.escape);
    if (name === '') throw invalidParameter(`base name (${ins.args[0]}) should not be blank`);
    const fresh = (base: BuildImage | undefined): State => ({
      imageId: base?.id,
      base: base?.config ?? { architecture: this.d.platform.architecture, os: this.d.platform.os, ...(this.d.platform.variant ? { variant: this.d.platform.variant } : {}), rootfs: { type: 'layers', diff_ids: [] } },
      layers: base?.layers ?? [],
      config: withDefaultPath(cloneDefaults(base?.config.config)),
      history: [...(base?.config.history ?? [])],
      args: new Map(),
      cmdSet: false,
    });
    if (name.toLowerCase() === 'scratch') {
      this.out.stream(' ---> \n');
      return fresh(undefined);
    }
    const stage = this.stageImages.find((x) => x.name === name.toLowerCase());
    if (stage) {
      const img = stage.id ? this.d.images.get(stage.id) : undefined;
      this.out.stream(` ---> ${short(stage.id)}\n`);
      return fresh(img);
    }
    let img = this.opts.pull ? undefined : this.d.images.find(name);
    if (!img) img = await this.d.images.pull(name, (m) => this.out.message(m), this.d.signal);
    this.out.stream(` ---> ${short(img.id)}\n`);
    return fresh(img);
  }

  // --- instructions ---------------------------------------------------------------

  private async dispatch(s: State, ins: Instruction): Promise<void> {
    const allowed = FLAGS[ins.cmd] ?? [];
    for (const f of ins.flags) if (!allowed.includes(f.name)) throw unknownFlag(ins, f.name);
    const env = this.env(s);
    const word = (w: string) => processWord(w, env, this.escape);
    const msg = applyConfigInstruction(s, ins, word);
    if (msg !== undefined) return this.commitNop(s, msg);
    switch (ins.cmd) {
      case 'run':
        return this.run(s, ins);
      case 'copy':
      case 'add':
        return this.copy(s, ins, word);
      case 'workdir':
        return this.workdir(s, ins, word);
      case 'arg': {
        let msg = 'ARG';
        for (const [k, dflt] of this.argPairs(ins, env)) {
          const v = this.argValue(k, dflt);
          s.args.set(k, v);
          msg += ` ${k}${dflt !== undefined ? `=${dflt}` : ''}`;
        }
        return this.commitNop(s, msg);
      }
      case 'from':
        throw invalidParameter('FROM is only allowed at the start of a stage');
      default:
        throw invalidParameter(`unknown instruction: ${ins.cmd.toUpperCase()}`);
    }
  }

  private async run(s: State, ins: Instruction): Promise<void> {
    if (ins.args.length === 0) throw invalidParameter('RUN requires at least one argument');
    const argv = command(s.config, ins);
    // Declared build args with values go to the step's environment and (as Docker writes it) its history.
    const envKeys = new Set((s.config.Env ?? []).map((e) => e.split('=')[0]!));
    const declared = [...s.args].filter(([k, v]) => v !== undefined && !envKeys.has(k)).map(([k, v]) => `${k}=${v}`);
    const proxies = Object.entries(this.opts.buildArgs)
      .filter(([k, v]) => PROXY_ARGS.has(k) && v !== null && !s.args.has(k))
      .map(([k, v]) => `${k}=${v}`);
    const saved = declared.length ? [`|${declared.length}`, ...declared.sort(), ...argv] : argv;
    const probe: ContainerDefaults = { ...s.config, Cmd: saved, Entrypoint: null };
    if (this.fromCache(s, probe)) return;
    const id = await this.d.containers.create(this.spec(s, argv, [...(s.config.Env ?? []), ...declared, ...proxies]));
    this.out.stream(` ---> Running in ${id.slice(0, 12)}\n`);
    let ok = false;
    try {
      const code = await this.d.containers.run(
        id,
        (stream, data) => this.out.stream(stream === 2 ? `\u001b[91m${data.toString('utf8')}\u001b[0m` : data.toString('utf8')),
        this.d.signal,
      );
      this.checkCancelled();
      if (code !== 0) throw new StepFailed(`The command '${argv.join(' ')}' returned a non-zero code: ${code}`, code);
      await this.commitContainer(s, id, probe, saved.join(' '));
      ok = true;
    } finally {
      await this.dropContainer(id, ok, true);
    }
    this.out.stream(` ---> ${short(s.imageId)}\n`);
  }

  private async copy(s: State, ins: Instruction, word: (w: string) => string): Promise<void> {
    const what = ins.cmd.toUpperCase();
    const words = ins.args.map(word);
    if (words.length < 2) throw invalidParameter(`${what} requires at least two arguments, but only one was provided. Destination could not be determined.`);
    const dest = words.at(-1)!;
    const srcs = words.slice(0, -1);
    const from = ins.flags.find((f) => f.name === 'from')?.value;
    const chown = ins.flags.find((f) => f.name === 'chown')?.value;
    const chmodText = ins.flags.find((f) => f.name === 'chmod')?.value;
    const mode = chmodText === undefined ? undefined : parseChmod(word(chmodText));
    const reader = from !== undefined ? await this.fromSource(word(from)) : undefined;
    try {
      const sources = reader ? await reader.sources(srcs) : await contextSources(this.contextDir, srcs, what, ins.cmd === 'add' ? { downloads: this.scratchDir, signal: this.d.signal } : undefined);
      const hashPlan: CopyPlan = { dir: '/', sources, ...(mode !== undefined ? { mode } : {}) };
      const digest = await contentDigest(hashPlan);
      const tail = `${chown ? ` --chown=${word(chown)}` : ''}${mode !== undefined ? ` --chmod=${chmodText}` : ''}`;
      const msg = `${what}${tail} ${digest} in ${dest} `;
      // One word `#(nop) COPY …` (one space), where config-only steps have two (`#(nop) `, `ENV …`): Docker's texts.
      const probe: ContainerDefaults = { ...s.config, Cmd: [...(s.config.Shell ?? DEFAULT_SHELL), `#(nop) ${msg}`] };
      if (this.fromCache(s, probe)) return;
      const id = await this.d.containers.create(this.spec(s, probe.Cmd!, s.config.Env ?? []));
      let ok = false;
      try {
        const owner = chown ? await this.d.containers.owner(id, word(chown)) : undefined;
        const wd = s.config.WorkingDir || '/';
        const abs = dest.startsWith('/') ? dest : posix.join(wd, dest);
        const single = sources.length === 1 && !sources[0]!.isDir && !sources[0]!.archive;
        const destIsDir = single && !dest.endsWith('/') ? await this.d.containers.isDir(id, abs) : false;
        const where = planDestination(sources, dest, wd, destIsDir);
        await this.d.containers.putFiles(id, where.dir, copyTar({ ...where, sources, ...(owner ? { owner } : {}), ...(mode !== undefined ? { mode } : {}) }));
        await this.commitContainer(s, id, probe, probe.Cmd!.join(' '));
        ok = true;
      } finally {
        await this.dropContainer(id, ok, false);
      }
      this.out.stream(` ---> ${short(s.imageId)}\n`);
    } finally {
      await reader?.close();
    }
  }

  private async workdir(s: State, ins: Instruction, word: (w: string) => string): Promise<void> {
    const dir = word(one(ins));
    s.config.WorkingDir = posix.normalize(dir.startsWith('/') ? dir : posix.join(s.config.WorkingDir || '/', dir));
    const probe: ContainerDefaults = { ...s.config, Cmd: [...(s.config.Shell ?? DEFAULT_SHELL), `#(nop) WORKDIR ${s.config.WorkingDir}`] };
    if (this.fromCache(s, probe)) return;
    const id = await this.d.containers.create(this.spec(s, probe.Cmd!, s.config.Env ?? []));
    this.out.stream(` ---> Running in ${id.slice(0, 12)}\n`);
    let ok = false;
    try {
      await this.d.containers.mkdir(id, s.config.WorkingDir);
      await this.commitContainer(s, id, probe, probe.Cmd!.join(' '));
      ok = true;
    } finally {
      await this.dropContainer(id, ok, true);
    }
    this.out.stream(` ---> ${short(s.imageId)}\n`);
  }

  /** COPY --from: a previous stage (by name or index) or an image; sources read through a container of it. */
  private async fromSource(from: string): Promise<{ sources(srcs: string[]): Promise<Source[]>; close(): Promise<void> }> {
    const byName = this.stageImages.find((x) => x.name === from.toLowerCase());
    const byIndex = /^\d+$/.test(from) ? this.stageImages[Number(from)] : undefined;
    let image: string | undefined;
    if (byName || byIndex) image = (byName ?? byIndex)!.id;
    else {
      const img = this.d.images.find(from) ?? (await this.d.images.pull(from, (m) => this.out.message(m), this.d.signal));
      image = img.id;
    }
    const id = await this.d.containers.create(this.specFor(image, {}, ['#(nop)'], []));
    return {
      sources: async (srcs) => {
        const out: Source[] = [];
        for (const src of srcs) {
          const pattern = posix.normalize(`/${src}`);
          const paths = /[*?[]/.test(pattern) ? await this.globIn(id, pattern) : [pattern];
          if (paths.length === 0) throw invalidParameter(`COPY failed: no source files were specified (nothing in ${from} matches ${src})`);
          for (const path of paths) {
            const isDir = await this.d.containers.isDir(id, path);
            const open = () => this.d.containers.archive(id, path, ROOT);
            // The source must exist: fail here, with Docker's message, rather than at the copy.
            await (await open().catch((e: unknown) => {
              if (e instanceof EngineError && e.kind === 'NotFound') throw notFound(`COPY failed: stat ${path}: file does not exist`);
              throw e;
            })).destroy();
            out.push({ open, isDir, base: posix.basename(path) || '.' });
          }
        }
        return out;
      },
      close: () => this.d.containers.remove(id),
    };
  }

  /** Paths of a container matching a filepath.Match pattern, one directory level per component. */
  private async globIn(id: string, pattern: string): Promise<string[]> {
    let current = ['/'];
    for (const part of pattern.split('/').filter((p) => p !== '')) {
      const next: string[] = [];
      const match = /[*?[]/.test(part) ? globMatcher(part) : undefined;
      for (const dir of current) {
        if (!match) next.push(posix.join(dir, part));
        else for (const name of await this.d.containers.list(id, dir)) if (match(name)) next.push(posix.join(dir, name));
      }
      current = next;
    }
    return current;
  }

  // --- commits and the cache ----------------------------------------------------------

  private spec(s: State, cmd: string[], env: string[]): StepSpec {
    return this.specFor(s.imageId, s.config, cmd, env);
  }

  private specFor(image: string | undefined, config: ContainerDefaults, cmd: string[], env: string[]): StepSpec {
    return {
      image,
      cmd,
      env,
      user: config.User ?? '',
      workingDir: config.WorkingDir ?? '',
      networkMode: this.opts.networkMode,
      extraHosts: this.opts.extraHosts,
      ...(this.opts.shmSize !== undefined ? { shmSize: this.opts.shmSize } : {}),
      resources: this.opts.resources,
    };
  }

  /** A config-only step: a new image with the same layers and an empty_layer history entry. */
  private async commitNop(s: State, msg: string): Promise<void> {
    const probe: ContainerDefaults = { ...s.config, Cmd: [...(s.config.Shell ?? DEFAULT_SHELL), '#(nop) ', msg] };
    if (this.fromCache(s, probe)) return;
    await this.commit(s, probe, undefined, probe.Cmd!.join(' '), '');
    this.out.stream(` ---> ${short(s.imageId)}\n`);
  }

  private async commitContainer(s: State, id: string, probe: ContainerDefaults, createdBy: string): Promise<void> {
    const layer = await this.d.containers.commitLayer(id);
    await this.commit(s, probe, layer, createdBy, id);
  }

  private async commit(s: State, probe: ContainerDefaults, layer: LayerRecord | undefined, createdBy: string, container: string): Promise<void> {
    const created = new Date().toISOString();
    const layers = layer ? [...s.layers, layer] : s.layers;
    const history: HistoryEntry[] = [...s.history, { created, created_by: createdBy, ...(layer ? {} : { empty_layer: true }) }];
    const config: ImageConfigFile = {
      ...s.base,
      ...(s.author !== undefined ? { author: s.author } : {}),
      config: { ...s.config },
      container,
      container_config: probe,
      created,
      docker_version: '',
      history,
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffID) },
    };
    delete config['parent'];
    delete config['comment'];
    const id = await this.d.images.create(config, layers, s.imageId);
    this.advance(s, id);
  }

  /** Moves the stage on to image id. */
  private advance(s: State, id: string): void {
    const img = this.d.images.get(id)!;
    s.imageId = id;
    s.base = img.config;
    s.layers = img.layers;
    s.history = [...(img.config.history ?? [])];
  }

  /** Reuses an image from the cache for this step, if there is one. */
  private fromCache(s: State, probe: ContainerDefaults): boolean {
    if (this.opts.noCache) return false;
    const want = canonical(probe);
    const candidates = this.d.images.children(s.imageId ?? '').filter((c) => !this.cacheSet || this.cacheSet.has(c.id));
    const hit = candidates.find((c) => c.config.container_config && canonical(c.config.container_config) === want && canonical(c.config.config) === canonical({ ...s.config }));
    if (!hit) return false;
    this.advance(s, hit.id);
    this.out.stream(` ---> Using cache\n ---> ${short(hit.id)}\n`);
    return true;
  }

  /** The images of the cacheFrom chains (each image and its local parents). */
  private cacheChains(refs: string[]): Set<string> {
    const set = new Set<string>();
    for (const r of refs) {
      let img = this.d.images.find(r);
      while (img && !set.has(img.id)) {
        set.add(img.id);
        img = img.parent ? this.d.images.get(img.parent) : undefined;
      }
    }
    return set;
  }

  /** Docker's rules: rm removes a step's container after it succeeded, forceRm always; `say` prints it as Docker does for RUN and WORKDIR. */
  private async dropContainer(id: string, ok: boolean, say: boolean): Promise<void> {
    if (!(ok ? this.opts.rm || this.opts.forceRm : this.opts.forceRm)) return;
    await this.d.containers.remove(id);
    if (say) this.out.stream(`Removing intermediate container ${id.slice(0, 12)}\n`);
  }

  // --- arguments and environment --------------------------------------------------------

  private argPairs(ins: Instruction, env: Map<string, string>): [string, string | undefined][] {
    if (ins.args.length === 0) throw invalidParameter('ARG requires at least one argument');
    return ins.args.map((a) => {
      const i = a.indexOf('=');
      if (i === 0) throw invalidParameter(`ARG names can not be blank`);
      if (i < 0) return [a, undefined];
      return [a.slice(0, i), processWord(a.slice(i + 1), env, this.escape)];
    });
  }

  /** An ARG's value: the build arg given for it, else its default; the meta ARG's value is the default's default. */
  private argValue(name: string, dflt: string | undefined): string | undefined {
    const given = this.opts.buildArgs[name];
    if (Object.prototype.hasOwnProperty.call(this.opts.buildArgs, name)) this.usedArgs.add(name);
    if (given !== undefined && given !== null) return given;
    return dflt ?? this.metaArgs.get(name);
  }

  private metaEnv(): Map<string, string> {
    const m = new Map<string, string>();
    for (const [k, v] of this.metaArgs) if (v !== undefined) m.set(k, v);
    return m;
  }

  /** The variables instructions see: the stage's ARGs, overridden by ENV. */
  private env(s: State): Map<string, string> {
    const m = new Map<string, string>();
    for (const [k, v] of s.args) if (v !== undefined) m.set(k, v);
    for (const [k, v] of envMap(s.config.Env ?? [])) m.set(k, v);
    return m;
  }

  private stepLine(ins: Instruction): void {
    this.step++;
    this.out.stream(`Step ${this.step}/${this.total} : ${ins.original}\n`);
  }

  private checkCancelled(): void {
    if (this.d.signal.aborted) throw invalidParameter('the build was cancelled: the client closed the connection');
  }
}

const FLAGS: Record<string, string[]> = {
  copy: ['from', 'chown', 'chmod'],
  add: ['chown', 'chmod'],
  healthcheck: ['interval', 'timeout', 'start-period', 'retries'],
};

function unknownFlag(ins: Instruction, name: string): EngineError {
  return invalidParameter(`Dockerfile line ${ins.line}: ${ins.cmd.toUpperCase()}: unknown flag: --${name}`);
}

function quoteIfNeeded(s: string): string {
  return /^[A-Za-z0-9_.\-/:]+$/.test(s) ? s : JSON.stringify(s);
}

function parseChmod(text: string): number {
  if (!/^[0-7]{3,4}$/.test(text)) throw invalidParameter(`invalid --chmod value ${JSON.stringify(text)}: use an octal mode such as 755`);
  return parseInt(text, 8);
}

function withDefaultPath(c: ContainerDefaults): ContainerDefaults {
  if (!(c.Env ?? []).some((e) => e.startsWith('PATH='))) c.Env = [...(c.Env ?? []), DEFAULT_PATH];
  return c;
}

function short(id: string | undefined): string {
  return id ? id.replace(/^sha256:/, '').slice(0, 12) : '';
}

/** Only the host's platform is built: anything else is refused with Docker's wording. */
function checkPlatform(p: string, host: HostPlatform): void {
  const [os = '', arch, variant] = p.toLowerCase().split('/');
  if (!/^[a-z0-9]+$/.test(os) || !['linux', 'windows', 'darwin', 'freebsd'].includes(os)) throw invalidParameter(`"${p}": unknown operating system or architecture: invalid argument`);
  const norm = (a: string | undefined) => (a === 'x86_64' || a === 'x86-64' ? 'amd64' : a === 'aarch64' ? 'arm64' : a);
  if (os !== host.os || (arch !== undefined && norm(arch) !== host.architecture) || (variant !== undefined && host.variant !== undefined && variant !== host.variant)) {
    throw invalidParameter(`platform ${p} is not supported: berth builds only for the host's platform (${host.os}/${host.architecture}${host.variant ? `/${host.variant}` : ''})`);
  }
}

function splitStages(all: Instruction[]): { meta: Instruction[]; stages: Stage[] } {
  const meta: Instruction[] = [];
  const stages: Stage[] = [];
  for (const ins of all) {
    if (ins.cmd === 'from') {
      const name = ins.args.length === 3 ? ins.args[2]!.toLowerCase() : undefined;
      if (name !== undefined && !/^[a-z][a-z0-9-_.]*$/.test(name)) throw invalidParameter(`invalid name for build stage: "${ins.args[2]}", name can't start with a number or contain symbols`);
      if (name && stages.some((s) => s.name === name)) throw invalidParameter(`duplicate name ${name}`);
      stages.push({ ...(name ? { name } : {}), from: ins, commands: [] });
    } else if (stages.length === 0) {
      if (ins.cmd !== 'arg') throw invalidParameter(`no build stage in current context: ${ins.cmd.toUpperCase()} comes before the first FROM`);
      meta.push(ins);
    } else stages.at(-1)!.commands.push(ins);
  }
  if (stages.length === 0) throw invalidParameter('the Dockerfile has no build stage: it needs a FROM instruction');
  return { meta, stages };
}

/**
 * Exec sessions: extra processes run in a running container (`docker exec`),
 * each under its own conmon (`--exec`), with its own attach socket, ctl fifo
 * and exit reporting, in `<execRoot>/exec/<id>/`.
 *
 * Lifecycle: create() records the session; start() runs it, attached or
 * detached; the exit code is recorded before an attached client's stream
 * ends, so `GET /exec/{id}/json` right after EOF has it. Sessions are kept in
 * memory until their container is removed.
 *
 * Errors: NotFound "No such exec instance: x"; Conflict when the container is
 * not running or paused, or the session already ran. A process that cannot
 * be started ends the session with exit code 126 (127 when not found) and its
 * error text on the client's stdout, as dockerd does.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { conflict, notFound } from '../errdefs/errdefs.js';
import { MonitorError, type Monitor } from '../runtime/monitor/monitor.js';
import type { Process } from '../runtime/spec/oci-types.js';
import { AttachSession, type AttachSink } from './attach.js';
import type { ContainerPaths } from './paths.js';
import type { ContainerStore } from './store.js';
import type { ContainerRecord } from './types.js';
import { resolveUser } from './user.js';
import type { Host } from '../sys/host.js';

export interface ExecConfig {
  cmd: string[];
  env: string[];
  user: string;
  workingDir: string;
  tty: boolean;
  attachStdin: boolean;
  attachStdout: boolean;
  attachStderr: boolean;
  privileged: boolean;
  detachKeys: string;
  consoleSize?: [number, number];
}

export interface ExecSession {
  id: string;
  containerId: string;
  config: ExecConfig;
  running: boolean;
  started: boolean;
  exitCode: number | null;
  pid: number;
}

export interface ExecHandle {
  write(data: Buffer): void;
  closeStdin(): void;
  detach(): void;
}

export class ExecService {
  private readonly sessions = new Map<string, ExecSession>();

  constructor(
    private readonly store: ContainerStore,
    private readonly paths: ContainerPaths,
    private readonly host: Host,
    private readonly monitor: Monitor,
    private readonly allCapabilities: () => string[],
    /** Announces exec_create / exec_start / exec_die as dockerd does (health probes included). */
    private readonly announce: (rec: ContainerRecord, action: string, attributes: Record<string, string>) => void = () => {},
  ) {}

  private dir(id: string): string {
    return join(this.paths.execRoot, 'exec', id);
  }

  create(containerRef: string, config: ExecConfig): ExecSession {
    const rec = this.store.resolve(containerRef);
    if (rec.state.status === 'paused') throw conflict(`Container ${rec.id} is paused, unpause the container before exec`);
    if (rec.state.status !== 'running') throw conflict(`Container ${rec.id} is not running`);
    const s: ExecSession = { id: randomBytes(32).toString('hex'), containerId: rec.id, config, running: false, started: false, exitCode: null, pid: 0 };
    this.sessions.set(s.id, s);
    this.announce(rec, `exec_create: ${config.cmd.join(' ')}`, { execID: s.id });
    return s;
  }

  get(id: string): ExecSession {
    const s = this.sessions.get(id);
    if (!s) throw notFound(`No such exec instance: ${id}`);
    return s;
  }

  /** Running sessions of a container (inspect's ExecIDs). */
  runningIn(containerId: string): string[] {
    return [...this.sessions.values()].filter((s) => s.containerId === containerId && s.running).map((s) => s.id);
  }

  /** Forgets the sessions of a removed container. */
  forget(containerId: string): void {
    for (const [id, s] of this.sessions) {
      if (s.containerId === containerId) {
        this.sessions.delete(id);
        void fs.rm(this.dir(id), { recursive: true, force: true });
      }
    }
  }

  private async processSpec(rec: ContainerRecord, c: ExecConfig): Promise<Process> {
    const base = (JSON.parse(await fs.readFile(join(this.paths.bundle(rec.id), 'config.json'), 'utf8')) as { process: Process }).process;
    const env = [...base.env ?? []];
    for (const e of c.env) {
      const k = e.split('=')[0];
      const i = env.findIndex((x) => x.split('=')[0] === k);
      if (i >= 0) env[i] = e;
      else env.push(e);
    }
    if (c.tty && !env.some((e) => e.startsWith('TERM='))) env.push('TERM=xterm');
    const p: Process = { ...base, args: c.cmd, env, terminal: c.tty, cwd: c.workingDir || base.cwd };
    if (c.user) {
      const u = await resolveUser(this.host, this.paths.rootfs(rec.id), c.user);
      p.user = { uid: u.uid, gid: u.gid, ...(u.additionalGids.length ? { additionalGids: u.additionalGids } : {}) };
    }
    if (c.privileged) {
      const all = this.allCapabilities();
      p.capabilities = { bounding: all, effective: all, permitted: all };
    }
    if (c.consoleSize && c.tty) p.consoleSize = { height: c.consoleSize[0], width: c.consoleSize[1] };
    return p;
  }

  /**
   * Starts the session. With a sink, output goes to it (and input comes from
   * the returned handle); the sink ends only after the exit code is recorded.
   */
  async start(id: string, opts: { detach: boolean; consoleSize?: [number, number] }, sink?: AttachSink): Promise<ExecHandle | undefined> {
    const s = this.get(id);
    if (s.started) throw conflict(`Error: Exec command ${id} has already run`);
    const rec = this.store.get(s.containerId);
    if (!rec || rec.state.status !== 'running') throw conflict(`Container ${s.containerId} is not running`);
    s.started = true;
    s.running = true;
    if (opts.consoleSize) s.config.consoleSize = opts.consoleSize;
    const dir = this.dir(id);
    await fs.mkdir(join(dir, 'exits'), { recursive: true });
    const finish = (code: number) => {
      s.exitCode = code;
      s.running = false;
      this.announce(rec, 'exec_die', { execID: s.id, exitCode: String(code) });
    };
    let spec: Process;
    try {
      spec = await this.processSpec(rec, s.config);
    } catch (e) {
      finish(126);
      throw e;
    }
    await fs.writeFile(join(dir, 'process.json'), JSON.stringify(spec));
    const attached = !opts.detach && !!sink;
    const cuuid = id.slice(0, 12);
    const monitor = this.monitor.startExec({
      containerId: rec.id,
      name: rec.name,
      sessionDir: dir,
      cuuid,
      command: s.config.cmd[0] ?? '',
      terminal: s.config.tty,
      stdin: attached && s.config.attachStdin,
      attach: attached,
    });
    this.announce(rec, `exec_start: ${s.config.cmd.join(' ')}`, { execID: s.id });
    monitor.pid.then(
      (pid) => (s.pid = pid),
      () => {},
    );
    const done = monitor.exitCode.then(finish, (e: unknown) => {
      finish(e instanceof MonitorError ? e.exitCode(126) : 126);
      return (e as Error).message;
    });
    if (!attached) {
      const err = await Promise.race([monitor.pid.then(() => undefined), done]);
      if (typeof err === 'string') throw conflict(err);
      return undefined;
    }
    const session = new AttachSession(
      { stdin: s.config.attachStdin, stdout: s.config.attachStdout, stderr: s.config.attachStderr },
      {
        output: (stream, data) => sink!.output(stream, data),
        // The stream ends after the exit code is known: clients inspect right after EOF.
        end: () => void done.then((err) => {
          if (typeof err === 'string') sink!.output(1, Buffer.from(`${err}\r\n`));
          sink!.end();
          void fs.rm(this.monitor.attachSocket(cuuid), { force: true }).catch(() => {});
        }),
      },
      () => {},
    );
    try {
      await monitor.attachReady;
      await session.connect(this.monitor.attachSocket(cuuid));
    } finally {
      monitor.begin();
    }
    return session;
  }

  /**
   * Runs cmd in the container to completion and returns its exit code and
   * output (health probes). A process still running after timeoutMs is
   * killed and reported with exit code -1, as Docker does.
   */
  async run(containerId: string, cmd: string[], timeoutMs: number): Promise<{ exitCode: number; output: string }> {
    const s = this.create(containerId, { cmd, env: [], user: '', workingDir: '', tty: false, attachStdin: false, attachStdout: true, attachStderr: true, privileged: false, detachKeys: '' });
    const chunks: Buffer[] = [];
    let ended!: () => void;
    const finished = new Promise<void>((r) => (ended = r));
    try {
      await this.start(s.id, { detach: false }, { output: (_st, d) => chunks.push(Buffer.from(d)), end: () => ended() });
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        if (s.pid) this.host.processes.signal(s.pid, 'SIGKILL');
      }, timeoutMs);
      await finished;
      clearTimeout(timer);
      if (timedOut) return { exitCode: -1, output: `Health check exceeded timeout (${timeoutMs / 1000}s)` };
      return { exitCode: s.exitCode ?? -1, output: Buffer.concat(chunks).toString('utf8') };
    } finally {
      this.sessions.delete(s.id);
      void fs.rm(this.dir(s.id), { recursive: true, force: true });
    }
  }

  async resize(id: string, height: number, width: number): Promise<void> {
    const s = this.get(id);
    if (!s.running) throw conflict(`Exec session ${id} is not running`);
    if (!s.config.tty) return;
    await this.monitor.resize(this.dir(id), height, width);
  }
}

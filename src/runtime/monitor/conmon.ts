/**
 * The conmon implementation of the Monitor contract (monitor.ts): one conmon
 * per container and per exec session. conmon runs `runc create`, holds the
 * container's stdio (PTY or pipes), writes the k8s-file log, serves the
 * attach socket, and writes the exit code to `<exitDir>/<id>` when the
 * process ends, so containers outlive berthd.
 *
 * Files per container, in its bundle: conmon.pid, pidfile, conmon.log, the
 * ctl fifo (resize), oom (written by conmon in its working directory); the
 * attach socket at `<socketDir>/<cuuid>/attach`. Exit files of containers in
 * `<exitDir>`; an exec session keeps its own in `<sessionDir>/exits`.
 */
import { join } from 'node:path';
import type { Host } from '../../sys/host.js';
import type { OciRuntime } from '../oci/runtime.js';
import { ExitWatcher } from './exit-watcher.js';
import { MonitorError, type ContainerMonitorOptions, type ExecMonitor, type ExecMonitorOptions, type Monitor, type MonitorErrorReason, type MonitorStarted } from './monitor.js';

export const CONMON = '/usr/bin/conmon';

interface MonitorArgs {
  id: string;
  cuuid: string;
  name: string;
  bundle: string;
  runtimePath: string;
  runtimeRoot: string;
  /** k8s-file log path; '' for none (exec sessions). */
  logPath: string;
  exitDir: string;
  persistDir: string;
  socketDir: string;
  pidFile: string;
  monitorPidFile: string;
  monitorLog: string;
  terminal: boolean;
  stdin: boolean;
  leaveStdinOpen: boolean;
  logSizeMax?: number;
  /** For exec sessions: path of the process.json to run in the container `id`. */
  execProcessSpec?: string;
}

export class ConmonMonitor implements Monitor {
  readonly exits: ExitWatcher;

  constructor(
    private readonly host: Host,
    private readonly runtime: OciRuntime,
    /** Where container exits are recorded. */
    exitDir: string,
    /** Where attach sockets go (short: unix socket paths are at most 108 bytes). */
    private readonly socketDir: string,
  ) {
    this.exits = new ExitWatcher(exitDir);
  }

  async start(o: ContainerMonitorOptions): Promise<MonitorStarted> {
    const args = this.args({
      id: o.id,
      cuuid: o.id.slice(0, 12),
      name: o.name,
      bundle: o.bundle,
      logPath: o.logPath,
      exitDir: this.exits.dir,
      persistDir: o.bundle,
      pidFile: join(o.bundle, 'pidfile'),
      monitorPidFile: join(o.bundle, 'conmon.pid'),
      monitorLog: join(o.bundle, 'conmon.log'),
      terminal: o.terminal,
      stdin: o.stdin,
      leaveStdinOpen: o.leaveStdinOpen,
      ...(o.logSizeMax !== undefined ? { logSizeMax: o.logSizeMax } : {}),
    });
    // conmon writes some files (oom) relative to its working directory: keep them in the bundle.
    const child = this.host.processes.spawnMonitor(args, join(o.bundle, 'conmon.log'), { cwd: o.bundle });
    child.signalStart('0');
    const pid = parseSync(await child.nextSync(), 'the container was created', join(o.bundle, 'conmon.log'), o.command);
    const monitorPid = Number((await this.host.files.readText(join(o.bundle, 'conmon.pid')))?.trim()) || 0;
    return { pid, monitorPid };
  }

  startExec(o: ExecMonitorOptions): ExecMonitor {
    const dir = o.sessionDir;
    const log = join(dir, 'conmon.log');
    const argv = this.args({
      id: o.containerId,
      cuuid: o.cuuid,
      name: o.name,
      bundle: dir,
      logPath: '',
      exitDir: join(dir, 'exits'),
      persistDir: dir,
      pidFile: join(dir, 'pid'),
      monitorPidFile: join(dir, 'conmon.pid'),
      monitorLog: log,
      terminal: o.terminal,
      stdin: o.stdin,
      leaveStdinOpen: false,
      execProcessSpec: join(dir, 'process.json'),
    });
    if (o.attach) argv.push('--exec-attach');
    const child = this.host.processes.spawnMonitor(argv, log, { attachPipe: o.attach, cwd: dir });
    child.signalStart('0');
    const pid = child.nextSync().then((m) => parseSync(m, 'the exec process started', log, o.command));
    const exitCode = pid.then(async () => {
      const m = await child.nextSync();
      if (m === undefined) throw new MonitorError(`the exec monitor ended without an exit code; see ${log}`);
      return (JSON.parse(m) as { data: number }).data;
    });
    pid.catch(() => {});
    exitCode.catch(() => {});
    const attachReady = o.attach
      ? child.attachReady.then((m) => {
          if (m === undefined) throw new MonitorError(`the exec monitor exited before its attach socket was ready; see ${log}`);
          parseSync(m, 'the attach socket was ready', log, o.command);
        })
      : Promise.resolve();
    attachReady.catch(() => {});
    return { attachReady, begin: () => child.signalStart('0'), pid, exitCode };
  }

  alive(monitorPid: number): boolean {
    return this.host.processes.alive(monitorPid, 'conmon');
  }

  oomKilled(bundle: string): boolean {
    return this.host.files.exists(join(bundle, 'oom'));
  }

  /** conmon's ctl fifo: `1 <height> <width>`. */
  resize(bundle: string, height: number, width: number): Promise<void> {
    return this.host.files.writeFifo(join(bundle, 'ctl'), `1 ${height} ${width}\n`);
  }

  attachSocket(cuuid: string): string {
    return join(this.socketDir, cuuid, 'attach');
  }

  private args(o: Omit<MonitorArgs, 'runtimePath' | 'runtimeRoot' | 'socketDir'>): string[] {
    return monitorArgs({ ...o, runtimePath: this.runtime.binary, runtimeRoot: this.runtime.root, socketDir: this.socketDir });
  }
}

function monitorArgs(o: MonitorArgs): string[] {
  const args = [
    CONMON,
    '--api-version', '1',
    '-c', o.id,
    '-u', o.cuuid,
    '-r', o.runtimePath,
    '-b', o.bundle,
    '-p', o.pidFile,
    '-n', o.name,
    '--exit-dir', o.exitDir,
    '--persist-dir', o.persistDir,
    '--socket-dir-path', o.socketDir,
    '-l', o.logPath === '' ? 'none' : `k8s-file:${o.logPath}`,
    '--log-level', 'error',
    '--conmon-pidfile', o.monitorPidFile,
    '--runtime-arg', `--root=${o.runtimeRoot}`,
    '--runtime-arg', '--log-format=json',
    '--runtime-arg', `--log=${join(o.bundle, 'runtime.log')}`,
  ];
  if (o.terminal) args.push('-t');
  if (o.stdin) args.push('-i');
  if (o.leaveStdinOpen) args.push('--leave-stdin-open');
  if (o.logSizeMax !== undefined && o.logSizeMax > 0) args.push('--log-size-max', String(o.logSizeMax));
  if (o.execProcessSpec) args.push('--exec', '--exec-process-spec', o.execProcessSpec);
  return args;
}

/** A message of the sync pipe protocol: `{"data": n, "message"?: "…"}`. */
function parseSync(raw: string | undefined, what: string, log: string, command: string): number {
  if (raw === undefined) throw new MonitorError(`the monitor exited before ${what}; see ${log}`);
  let msg: { data?: number; message?: string };
  try {
    msg = JSON.parse(raw) as { data?: number; message?: string };
  } catch {
    throw new MonitorError(`the container monitor answered ${JSON.stringify(raw)}`);
  }
  if (typeof msg.data !== 'number') throw new MonitorError(`the container monitor answered ${JSON.stringify(raw)}`);
  if (msg.data < 0) {
    const message = (msg.message ?? `${what} failed`).trim();
    throw new MonitorError(message, startFailure(message, command));
  }
  return msg.data;
}

/**
 * Why the runtime could not start a process. The runtime reports it only as
 * text (runc: `exec: "x": executable file not found in $PATH`); this is the
 * one place that reads it.
 */
function startFailure(message: string, command: string): MonitorErrorReason {
  if (message.includes(command) && /executable file not found|no such file or directory/i.test(message)) return 'command-not-found';
  if (/permission denied/i.test(message)) return 'command-not-executable';
  return 'other';
}

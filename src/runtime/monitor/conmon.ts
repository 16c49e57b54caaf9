/**
 * The monitor driver: one conmon per container (and per exec session). conmon
 * runs `runc create`, holds the container's stdio (PTY or pipes), writes the
 * k8s-file log, serves the attach socket, and writes the exit code to
 * `<exitDir>/<id>` when the process ends, so containers outlive berthd.
 *
 * Lifecycle: startMonitor() resolves once the container process exists (runc
 * create done) with its pid; the caller then runs `runc start`. Exit is
 * observed through the exit file (see ExitWatcher), not through this call.
 *
 * Errors: MonitorError carrying runc's message when create fails (the caller
 * maps "executable file not found" to 127 and "permission denied" to 126).
 */
import { join } from 'node:path';
import { spawnWithSyncPipes } from '../../sys/exec.js';

export const CONMON = '/usr/bin/conmon';

export class MonitorError extends Error {}

export interface MonitorPaths {
  /** The OCI bundle: config.json, and where conmon puts its ctl and winsz fifos. */
  bundle: string;
  runtimePath: string;
  runtimeRoot: string;
  /** k8s-file log path; '' for none (exec sessions). */
  logPath: string;
  exitDir: string;
  persistDir: string;
  /** conmon makes `<socketDir>/<cuuid>/attach`; keep it short (unix socket paths are ≤ 108 bytes). */
  socketDir: string;
  pidFile: string;
  monitorPidFile: string;
  /** conmon's own stdout/stderr. */
  monitorLog: string;
}

export interface MonitorOptions extends MonitorPaths {
  id: string;
  /** Short unique name for the attach socket directory. */
  cuuid: string;
  name: string;
  terminal: boolean;
  stdin: boolean;
  leaveStdinOpen: boolean;
  logSizeMax?: number;
  /** For exec sessions: path of the process.json to run in the container `id`. */
  execProcessSpec?: string;
}

export interface MonitorStarted {
  pid: number;
}

export function attachSocketPath(socketDir: string, cuuid: string): string {
  return join(socketDir, cuuid, 'attach');
}

export function ctlFifoPath(bundle: string): string {
  return join(bundle, 'ctl');
}

export function monitorArgs(o: MonitorOptions): string[] {
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
function parseSync(raw: string | undefined, what: string, log: string): number {
  if (raw === undefined) throw new MonitorError(`the monitor exited before ${what}; see ${log}`);
  let msg: { data?: number; message?: string };
  try {
    msg = JSON.parse(raw) as { data?: number; message?: string };
  } catch {
    throw new MonitorError(`the container monitor answered ${JSON.stringify(raw)}`);
  }
  if (typeof msg.data !== 'number') throw new MonitorError(`the container monitor answered ${JSON.stringify(raw)}`);
  if (msg.data < 0) throw new MonitorError((msg.message ?? `${what} failed`).trim());
  return msg.data;
}

/** Starts conmon and waits until the container process has been created. */
export async function startMonitor(o: MonitorOptions): Promise<MonitorStarted> {
  // conmon writes some files (oom) relative to its working directory: keep them in the bundle.
  const child = spawnWithSyncPipes(monitorArgs(o), o.monitorLog, { cwd: o.bundle });
  child.signalStart('0');
  return { pid: parseSync(await child.nextSync(), 'the container was created', o.monitorLog) };
}

export interface ExecMonitor {
  /** With attach: resolves once the attach socket exists; connect, then call begin(). */
  attachReady: Promise<void>;
  /** Lets the process start (attached sessions wait for this). */
  begin(): void;
  /** The exec'd process's pid, once it runs. */
  pid: Promise<number>;
  /** Its exit code (rejects with MonitorError when it could not start). */
  exitCode: Promise<number>;
}

/**
 * Runs a process in a running container under its own conmon (`--exec`).
 * `o.bundle` must be the session's own directory (conmon puts its ctl fifo
 * there), `o.exitDir` its own too (conmon names exit files after the container).
 */
export function startExecMonitor(o: MonitorOptions & { attach: boolean }): ExecMonitor {
  const argv = monitorArgs(o);
  if (o.attach) argv.push('--exec-attach');
  const child = spawnWithSyncPipes(argv, o.monitorLog, { attachPipe: o.attach, cwd: o.bundle });
  child.signalStart('0');
  const pid = child.nextSync().then((m) => parseSync(m, 'the exec process started', o.monitorLog));
  const exitCode = pid.then(async () => {
    const m = await child.nextSync();
    if (m === undefined) throw new MonitorError(`the exec monitor ended without an exit code; see ${o.monitorLog}`);
    return (JSON.parse(m) as { data: number }).data;
  });
  pid.catch(() => {});
  exitCode.catch(() => {});
  const attachReady = o.attach
    ? child.attachReady.then((m) => {
        if (m === undefined) throw new MonitorError(`the exec monitor exited before its attach socket was ready; see ${o.monitorLog}`);
        parseSync(m, 'the attach socket was ready', o.monitorLog);
      })
    : Promise.resolve();
  attachReady.catch(() => {});
  return {
    attachReady,
    begin: () => child.signalStart('0'),
    pid,
    exitCode,
  };
}

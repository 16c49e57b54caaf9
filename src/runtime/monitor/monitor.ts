/**
 * Monitor: the contract of the per-container process that holds a container
 * for its whole life, independently of the daemon (conmon today). It runs
 * the OCI runtime's create, keeps the container's stdio (a PTY or pipes),
 * writes its log, serves its attach socket, and records its exit code, so
 * containers outlive a daemon restart or crash.
 *
 * Lifecycle of a container's monitor:
 *   start() → (the caller starts the process through the OciRuntime) → the
 *   process exits → the exit arrives once through `exits` (also one that
 *   happened while the daemon was down: start() of `exits` reports those) →
 *   the caller consume()s it after recording it.
 * Exec sessions get their own monitor (startExec) whose exit code comes
 * through the returned handle, not through `exits`.
 *
 * Error contract: start() and the exec handle reject with MonitorError (an
 * EngineError). Its `reason` says why a process could not be started, as the
 * runtime reported it, classified once here: `command-not-found` (Docker's
 * exit code 127), `command-not-executable` (126), `other` (kind Internal).
 */
import { EngineError } from '../../errdefs/errdefs.js';

export type MonitorErrorReason = 'command-not-found' | 'command-not-executable' | 'other';

export class MonitorError extends EngineError {
  constructor(
    message: string,
    readonly reason: MonitorErrorReason = 'other',
  ) {
    super(reason === 'other' ? 'Internal' : 'InvalidParameter', message);
  }

  /** Docker's exit code for a process that could not be started (fallback: 128 for containers, 126 for exec). */
  exitCode(fallback: number): number {
    return this.reason === 'command-not-found' ? 127 : this.reason === 'command-not-executable' ? 126 : fallback;
  }
}

export interface ContainerMonitorOptions {
  id: string;
  name: string;
  /** The OCI bundle (config.json); the monitor keeps its pid files and fifos there. */
  bundle: string;
  /** The k8s-file log the monitor writes. */
  logPath: string;
  /** The command the container runs (to tell "not found" of it from other missing files). */
  command: string;
  terminal: boolean;
  stdin: boolean;
  leaveStdinOpen: boolean;
  /** conmon's --log-size-max (bytes), when the log is limited. */
  logSizeMax?: number;
}

export interface MonitorStarted {
  /** The container's process (created, not started yet). */
  pid: number;
  /** The monitor's own process. */
  monitorPid: number;
}

export interface ExecMonitorOptions {
  containerId: string;
  name: string;
  /** The session's own directory: its process.json, pid files, fifos and exit file. */
  sessionDir: string;
  /** Short unique name of the session's attach socket directory. */
  cuuid: string;
  command: string;
  terminal: boolean;
  stdin: boolean;
  /** A client attaches to the session's stdio through the attach socket. */
  attach: boolean;
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

export interface ExitSource {
  /** Starts reporting exits, each once, including those recorded while nobody watched. */
  start(onExit: (id: string, exitCode: number) => void): void;
  stop(): void;
  /** The exit code recorded for id, undefined when it has not exited. */
  read(id: string): number | undefined;
  /** Forgets id's exit once the caller has recorded it. */
  consume(id: string): void;
}

export interface Monitor {
  start(o: ContainerMonitorOptions): Promise<MonitorStarted>;
  startExec(o: ExecMonitorOptions): ExecMonitor;
  /** Whether the monitor with this pid still runs. */
  alive(monitorPid: number): boolean;
  /** Whether the kernel killed the container for memory (the monitor records it in the bundle). */
  oomKilled(bundle: string): boolean;
  /** Resizes the terminal of the container or exec session whose bundle (or session dir) this is. */
  resize(bundle: string, height: number, width: number): Promise<void>;
  /** The attach socket of a container or exec session, by its short name. */
  attachSocket(cuuid: string): string;
  readonly exits: ExitSource;
}

/**
 * OciRuntime: the contract of an OCI runtime driver (runc today; crun where
 * the host allows it). Thin and stateless: what may be started, stopped or
 * paused is decided in container/, never here (podman's OCIRuntime rule).
 * `create` is not part of it: the monitor runs the runtime's create, so that
 * the monitor holds the container's stdio from its first instant.
 *
 * Lifecycle of one container, as container/ drives it:
 *   (monitor runs create) → start → [pause ⇄ resume] → kill… → process exits
 *   → removeStopped (or delete --force when that is not possible) → gone.
 * hasState() tells whether the runtime still holds state for an ID (a
 * leftover of a crash), without spawning anything.
 *
 * Error contract: every failure is a RuntimeError (an EngineError) whose
 * `reason` says what the runtime reported, classified once by the driver:
 * `not-found` (no such container), `not-running` (it has no live process),
 * `other` (anything else; kind Internal). state() answers undefined for an
 * unknown container instead of throwing.
 */
import { EngineError, type ErrorKind } from '../../errdefs/errdefs.js';

export type RuntimeErrorReason = 'not-found' | 'not-running' | 'other';

export class RuntimeError extends EngineError {
  constructor(
    message: string,
    readonly reason: RuntimeErrorReason = 'other',
    kind: ErrorKind = reason === 'not-found' ? 'NotFound' : reason === 'not-running' ? 'Conflict' : 'Internal',
  ) {
    super(kind, message);
  }
}

export interface RuntimeState {
  id: string;
  pid: number;
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  bundle: string;
}

export interface RuntimeResources {
  memory?: number;
  memorySwap?: number;
  memoryReservation?: number;
  cpuShares?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  pidsLimit?: number;
  blkioWeight?: number;
}

export interface OciRuntime {
  /** The runtime binary, for the monitor to run. */
  readonly binary: string;
  /** The runtime's state directory (its --root), for the monitor to pass on. */
  readonly root: string;
  start(id: string): Promise<void>;
  kill(id: string, signal: string | number, all?: boolean): Promise<void>;
  delete(id: string, force?: boolean): Promise<void>;
  /** What delete does for a container whose process has exited, done cheaply; false when the caller must delete. */
  removeStopped(id: string): Promise<boolean>;
  /** Whether the runtime holds state for this ID. */
  hasState(id: string): boolean;
  state(id: string): Promise<RuntimeState | undefined>;
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  /** The host pids of every process in the container. */
  pids(id: string): Promise<number[]>;
  update(id: string, resources: RuntimeResources): Promise<void>;
}

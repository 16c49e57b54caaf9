/**
 * The Host seam: every effect the engine has on the host, as one interface
 * passed in at composition (youki's Syscall trait habit). `realHost()` is the
 * implementation over the rest of sys/; `FakeHost` (sys/fake-host.ts) records
 * calls and keeps an in-memory host for unit tests of the state machine,
 * network attach and volumes, which then run without root, runc or a kernel.
 *
 * Facets follow what the host offers: mounts, processes, cgroups, the
 * network stack (ip, netlink, nftables, iptables, sysctls, port probes, resolvers),
 * files (those of a container's root, resolved inside it; bounded reads;
 * the runtime's and monitor's own state files), and facts about the host.
 *
 * Error contract: the real implementation throws what sys/ throws
 * (SysError / CommandError / EngineError with a kind); fakes throw what a
 * test scripts. Nothing here retries.
 */
import { existsSync, promises as fs } from 'node:fs';
import { cgroupFrozen, cgroupUsage, netDevOf, removeCgroupDirs, systemCpuNs, type CgroupUsage, type NetDev } from './cgroups.js';
import { closeFd, mkdirInRoot, openDir, readBounded, readInRoot, withFd, type RootFile } from './dirfd.js';
import { run, spawnWithSyncPipes, type RunOptions, type RunResult, type SyncPipeChild } from './exec.js';
import { capabilityBoundingMask } from './facts.js';
import { hostRoutes, ipBatch, ipBatchInNetns, linkExists, linkInfo, type LinkInfo, type NetnsOption } from './ip.js';
import { connectVeth, deleteLinks, type VethSpec } from './netlink.js';
import { mountAll, unmount, type MountSpec } from './mount.js';
import { mountAt, mountsUnder, readMounts, type MountEntry } from './mountinfo.js';
import { iptablesFilterRules, iptablesRestore, nftApply, nftDeleteTable, type IptablesBackend } from './nft.js';
import { portFree, resolvConfText } from './ports.js';
import { readFifo, writeFifo } from './fifo.js';
import { processAlive, signalProcess } from './proc.js';
import { ensureSysctl, readSysctl, writeSysctl } from './sysctl.js';

export interface HostMounts {
  mountAll(specs: readonly MountSpec[], target: string): void;
  /** A target that is not mounted is not an error. */
  unmount(target: string, opts?: { detach?: boolean }): void;
  /** Mount points at or below dir, deepest first. */
  mountsUnder(dir: string): string[];
  /** The mount on path (the topmost when several are stacked). */
  mountAt(path: string): MountEntry | undefined;
  /** The whole mount table, to look many paths up in one read (sys/mountinfo's mountAt/mountsUnder take it). */
  table(): MountEntry[];
}

export interface HostProcesses {
  /** Whether pid runs (and, with `expect`, its command line names it). */
  alive(pid: number, expect?: string): boolean;
  /** Sends a signal; false when the process is gone. */
  signal(pid: number, sig: NodeJS.Signals | number): boolean;
  /** Runs a host tool to completion (CommandError on failure). */
  run(argv: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** Starts a monitor speaking the sync-pipe protocol (conmon). */
  spawnMonitor(argv: readonly string[], logPath: string, opts?: { attachPipe?: boolean; cwd?: string }): SyncPipeChild;
}

export interface HostCgroups {
  usage(path: string): CgroupUsage | undefined;
  frozen(path: string): boolean;
  /** Removes cgroup directories; false when one is busy. */
  remove(paths: readonly string[]): Promise<boolean>;
  systemCpuNs(): number;
  netDevOf(pid: number): NetDev[];
}

export interface HostNet {
  ipBatch(lines: readonly string[], opts?: NetnsOption): Promise<void>;
  /** A container's veth: made, on its bridge, its peer addressed and routed in the namespace of a process (netlink; nothing left on failure). */
  connectVeth(spec: VethSpec): Promise<void>;
  /** `ip -batch` inside the network namespace of a process (what connectVeth does not do: IPv6, link-local addresses, MTU). */
  ipBatchInNetns(pid: number, lines: readonly string[]): Promise<void>;
  /** Deletes interfaces of the host's namespace; absent ones are not an error. */
  deleteLinks(names: readonly string[]): Promise<void>;
  hostRoutes(): string[];
  linkExists(name: string): boolean;
  linkInfo(name: string): LinkInfo | undefined;
  nftApply(script: string): Promise<void>;
  nftDeleteTable(family: string, name: string): Promise<void>;
  iptablesFilterRules(backend: IptablesBackend): Promise<string | undefined>;
  iptablesRestore(backend: IptablesBackend, input: string): Promise<void>;
  readSysctl(key: string): string | undefined;
  writeSysctl(key: string, value: string | number): void;
  /** Sets the sysctl unless it already has the value; true when it changed it. */
  ensureSysctl(key: string, value: string | number): boolean;
  /** Whether nothing on the host holds proto/hostIp:port (a bind probe). */
  portFree(proto: 'tcp' | 'udp', hostIp: string, port: number): Promise<boolean>;
  /** The host's /etc/resolv.conf ('' when unreadable). */
  resolvConf(): string;
}

export interface HostFiles {
  /** mkdir -p of a path inside a container root (symlinks resolved inside it, never crossed when creating). */
  mkdirInRoot(root: string, path: string, mode: number): void;
  /** A regular file of a container root, bounded (sys/dirfd readInRoot). */
  readInRoot(root: string, path: string, maxBytes: number): Promise<RootFile>;
  /** A file the daemon owns but a container can write, bounded. */
  readBounded(path: string, maxBytes: number): Promise<RootFile>;
  /** State files of the runtime and the monitor (their dirs, pid files, fifos). */
  exists(path: string): boolean;
  readText(path: string): Promise<string | undefined>;
  removeTree(path: string): Promise<void>;
  /** Writes to a fifo someone reads (the monitor's control fifo), without blocking when nobody does. */
  writeFifo(path: string, data: string): Promise<void>;
  /** Reads what a process writes into a fifo, never blocking; undefined when `writerAlive()` turned false before it wrote. */
  readFifo(path: string, writerAlive: () => boolean): Promise<Buffer | undefined>;
}

export interface HostFacts {
  /** The capabilities the host lets a process hold (CapBnd of the daemon), as a hex mask. */
  capabilityBoundingMask(): string;
}

export interface Host {
  readonly mounts: HostMounts;
  readonly processes: HostProcesses;
  readonly cgroups: HostCgroups;
  readonly net: HostNet;
  readonly files: HostFiles;
  readonly facts: HostFacts;
}

/** The real host, over sys/. */
export function realHost(): Host {
  return {
    mounts: {
      mountAll,
      unmount,
      mountsUnder: (dir) => mountsUnder(dir),
      mountAt: (path) => mountAt(path),
      table: readMounts,
    },
    processes: {
      alive: processAlive,
      signal: signalProcess,
      run,
      spawnMonitor: spawnWithSyncPipes,
    },
    cgroups: {
      usage: cgroupUsage,
      frozen: cgroupFrozen,
      remove: removeCgroupDirs,
      systemCpuNs,
      netDevOf,
    },
    net: {
      ipBatch,
      connectVeth,
      ipBatchInNetns,
      deleteLinks,
      hostRoutes,
      linkExists,
      linkInfo,
      nftApply: (script) => nftApply(script),
      nftDeleteTable: (family, name) => nftDeleteTable(family, name),
      iptablesFilterRules: (backend) => iptablesFilterRules(backend),
      iptablesRestore: (backend, input) => iptablesRestore(backend, input),
      readSysctl,
      writeSysctl,
      ensureSysctl,
      portFree,
      resolvConf: resolvConfText,
    },
    files: {
      mkdirInRoot: (root, path, mode) => withFd(openDir(root), (fd) => mkdirInRoot(fd, path, mode)),
      readInRoot: async (root, path, maxBytes) => {
        const fd = openDir(root);
        try {
          return await readInRoot(fd, path, maxBytes);
        } finally {
          closeFd(fd);
        }
      },
      readBounded,
      exists: existsSync,
      readText: async (path) => {
        try {
          return await fs.readFile(path, 'utf8');
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
          throw e;
        }
      },
      removeTree: (path) => fs.rm(path, { recursive: true, force: true }),
      writeFifo,
      readFifo,
    },
    facts: { capabilityBoundingMask },
  };
}

/**
 * A recording fake of the Host seam, for unit tests that must run without
 * root or a kernel (the container state machine, network attach, volumes).
 * It keeps a small in-memory host (mounts, live pids, frozen cgroups, files,
 * taken ports), records every call as `facet.op arg…` in `calls`, and lets a
 * test make the next matching call fail (`failOn`).
 *
 * Only tests use it; production code composes realHost().
 */
import type { CgroupUsage, NetDev } from '../../src/sys/cgroups.js';
import type { RootFile } from '../../src/sys/dirfd.js';
import type { RunOptions, RunResult, SyncPipeChild } from '../../src/sys/exec.js';
import type { Host, HostCgroups, HostFacts, HostFiles, HostMounts, HostNet, HostProcesses } from '../../src/sys/host.js';
import type { LinkInfo, NetnsOption } from '../../src/sys/ip.js';
import type { MountSpec } from '../../src/sys/mount.js';
import type { MountEntry } from '../../src/sys/mountinfo.js';
import type { IptablesBackend } from '../../src/sys/nft.js';

/** Every capability (the fake host's CapBnd). */
const ALL_CAPS = '000001ffffffffff';

export class FakeHost implements Host {
  /** `facet.op arg…`, in call order. */
  readonly calls: string[] = [];
  /** Mount targets → what was mounted there. */
  readonly mounted = new Map<string, readonly MountSpec[]>();
  readonly livePids = new Set<number>();
  readonly frozenCgroups = new Set<string>();
  /** Files by path: contents of the runtime's and monitor's state, and of container roots (`<root>/<path>`). */
  readonly files_ = new Map<string, string | RootFile>();
  readonly links = new Map<string, LinkInfo>();
  readonly takenPorts = new Set<string>();
  readonly sysctls = new Map<string, string>();
  resolvConfText = 'nameserver 192.0.2.53\n';
  /** Answers of processes.run, by the first word of argv. */
  readonly runAnswers = new Map<string, (argv: readonly string[]) => RunResult>();
  private readonly failures: { match: string; error: Error }[] = [];

  /** The next call whose record starts with `match` throws `error` (once). */
  failOn(match: string, error: Error): void {
    this.failures.push({ match, error });
  }

  private record(call: string): void {
    this.calls.push(call);
    const i = this.failures.findIndex((f) => call.startsWith(f.match));
    if (i >= 0) {
      const [f] = this.failures.splice(i, 1);
      throw f!.error;
    }
  }

  readonly mounts: HostMounts = {
    mountAll: (specs, target) => {
      this.record(`mounts.mountAll ${target}`);
      this.mounted.set(target, specs);
    },
    unmount: (target) => {
      this.record(`mounts.unmount ${target}`);
      this.mounted.delete(target);
    },
    mountsUnder: (dir) =>
      [...this.mounted.keys()].filter((m) => m === dir || m.startsWith(`${dir}/`)).sort((a, b) => b.length - a.length),
    mountAt: (path) => this.table().find((m) => m.mountPoint === path),
    table: () => this.table(),
  };

  private table(): MountEntry[] {
    return [...this.mounted].map(([mountPoint, specs]) => ({ mountPoint, fsType: specs[0]?.type ?? 'none', source: specs[0]?.source ?? 'none', superOptions: 'rw' }));
  }

  readonly processes: HostProcesses = {
    alive: (pid) => this.livePids.has(pid),
    signal: (pid, sig) => {
      this.record(`processes.signal ${pid} ${sig}`);
      return this.livePids.delete(pid);
    },
    run: async (argv: readonly string[], _opts?: RunOptions) => {
      this.record(`processes.run ${argv.join(' ')}`);
      const answer = this.runAnswers.get(argv[0]!);
      return answer ? answer(argv) : { stdout: '', stderr: '', code: 0 };
    },
    spawnMonitor: (argv: readonly string[]): SyncPipeChild => {
      this.record(`processes.spawnMonitor ${argv[0]}`);
      throw new Error('FakeHost: monitors are not spawned here; use a fake Monitor');
    },
  };

  readonly cgroups: HostCgroups = {
    usage: (): CgroupUsage | undefined => undefined,
    frozen: (path) => this.frozenCgroups.has(path),
    remove: async (paths) => {
      this.record(`cgroups.remove ${paths.join(' ')}`);
      return true;
    },
    systemCpuNs: () => 0,
    netDevOf: (): NetDev[] => [],
  };

  readonly net: HostNet = {
    ipBatch: async (lines: readonly string[], opts?: NetnsOption) => {
      this.record(`net.ipBatch${opts?.netns ? ` netns=${opts.netns}` : ''} ${lines.join('; ')}`);
      if (!opts?.netns) for (const line of lines) this.applyLink(line);
    },
    // As the real one, a failing connectVeth leaves no veth: recorded (and failed, when scripted) before the link exists.
    connectVeth: async (s) => {
      this.record(`net.connectVeth netns ${s.pid} ${s.ifname} ${s.mac} ${s.address}/${s.prefixLen}${s.gateway ? ` via ${s.gateway}` : ''} veth ${s.hostName} master ${s.bridge}`);
      this.links.set(s.hostName, { bridge: false, alias: '', ipv4: [] });
    },
    ipBatchInNetns: async (pid, lines) => this.record(`net.ipBatchInNetns ${pid} ${lines.join('; ')}`),
    deleteLinks: async (names) => {
      this.record(`net.deleteLinks ${names.join(' ')}`);
      for (const n of names) this.links.delete(n);
    },
    hostRoutes: () => [],
    linkExists: (name) => this.links.has(name),
    linkInfo: (name) => this.links.get(name),
    nftApply: async (script) => this.record(`net.nftApply ${script.length} bytes`),
    nftDeleteTable: async (family, name) => this.record(`net.nftDeleteTable ${family} ${name}`),
    iptablesFilterRules: async (_backend: IptablesBackend) => undefined,
    iptablesRestore: async (backend, input) => this.record(`net.iptablesRestore ${backend} ${input.length} bytes`),
    readSysctl: (key) => this.sysctls.get(key),
    writeSysctl: (key, value) => {
      this.record(`net.writeSysctl ${key}=${value}`);
      this.sysctls.set(key, String(value));
    },
    ensureSysctl: (key, value) => {
      if (this.sysctls.get(key) === String(value)) return false;
      this.record(`net.writeSysctl ${key}=${value}`);
      this.sysctls.set(key, String(value));
      return true;
    },
    portFree: async (proto, hostIp, port) => !this.takenPorts.has(`${proto}/${hostIp || '0.0.0.0'}:${port}`),
    resolvConf: () => this.resolvConfText,
  };

  readonly files: HostFiles = {
    mkdirInRoot: (root, path) => this.record(`files.mkdirInRoot ${root} ${path}`),
    readInRoot: async (root, path) => this.rootFile(`${root}${path.startsWith('/') ? '' : '/'}${path}`),
    readBounded: async (path) => this.rootFile(path),
    exists: (path) => this.files_.has(path),
    readText: async (path) => {
      const f = this.files_.get(path);
      return typeof f === 'string' ? f : undefined;
    },
    removeTree: async (path) => {
      this.record(`files.removeTree ${path}`);
      for (const p of [...this.files_.keys()]) if (p === path || p.startsWith(`${path}/`)) this.files_.delete(p);
    },
    writeFifo: async (path, data) => this.record(`files.writeFifo ${path} ${data.trim()}`),
    // A fifo is a file in files_ holding what its writer writes; empty = a writer that never writes (then as long as it lives).
    readFifo: async (path, writerAlive) => {
      this.record(`files.readFifo ${path}`);
      const f = this.files_.get(path);
      if (typeof f === 'string' && f) return Buffer.from(f);
      return writerAlive() ? new Promise<never>(() => {}) : undefined;
    },
  };

  /** What `ip` would do to the host's links: made, deleted, aliased. */
  private applyLink(line: string): void {
    const add = /^link add (?:name )?(\S+) type (\w+)/.exec(line);
    if (add) this.links.set(add[1]!, { bridge: add[2] === 'bridge', alias: '', ipv4: [] });
    const del = /^link del (\S+)/.exec(line);
    if (del) this.links.delete(del[1]!);
    const alias = /^link set (\S+) alias (\S+)/.exec(line);
    const l = alias && this.links.get(alias[1]!);
    if (l) l.alias = alias![2]!;
  }

  private rootFile(path: string): RootFile {
    const f = this.files_.get(path);
    if (f === undefined) return { kind: 'missing' };
    return typeof f === 'string' ? { kind: 'file', data: Buffer.from(f) } : f;
  }

  readonly facts: HostFacts = { capabilityBoundingMask: () => ALL_CAPS };
}

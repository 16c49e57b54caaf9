/**
 * Starts a real berthd for integration tests, each on its own root dir,
 * exec root, socket, bridge name and subnet, and removes everything it made
 * afterwards, even when a test fails or the test process dies: processes
 * (by pid), mounts, network devices, nftables tables, directories.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, closeSync } from 'node:fs';
import http from 'node:http';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '../..');
const BERTHD = join(REPO, 'dist/berthd.mjs');

export interface TestDaemon {
  readonly id: string;
  readonly base: string;
  readonly root: string;
  readonly execRoot: string;
  readonly socket: string;
  /** `unix://…`, for -H and BERTH_HOST. */
  readonly host: string;
  readonly bridgeName: string;
  readonly subnet: string;
  readonly pid: number | undefined;
  /** What berthd printed so far. */
  log(): string;
  /** Starts berthd again on the same state (after stop/kill). */
  start(): Promise<void>;
  /** SIGTERM, and wait for the process to end. */
  stop(): Promise<void>;
  /** SIGKILL: the daemon dies without cleaning anything up. */
  kill(): Promise<void>;
  /** Stops berthd and removes everything this daemon made on the host. */
  cleanup(): Promise<void>;
}

const live = new Set<Daemon>();

/** A /24 inside 10.0.0.0/8 that no route on the host touches. */
function freeSubnet(): string {
  const routes = spawnSync('ip', ['-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' }).stdout ?? '';
  for (;;) {
    const a = 100 + Math.floor(Math.random() * 150);
    const b = Math.floor(Math.random() * 256);
    const net = `10.${a}.${b}.`;
    if (!routes.includes(net)) return `${net}0/24`;
  }
}

class Daemon implements TestDaemon {
  readonly id = randomBytes(3).toString('hex');
  readonly base: string;
  readonly root: string;
  readonly execRoot: string;
  readonly socket: string;
  readonly host: string;
  readonly bridgeName = `bt${this.id}`;
  readonly subnet = freeSubnet();
  private child: ChildProcess | undefined;
  private readonly logPath: string;

  constructor(private readonly extraArgs: string[]) {
    this.base = `/tmp/berth-test-${process.pid}-${this.id}`;
    this.root = join(this.base, 'root');
    this.execRoot = join(this.base, 'run');
    this.socket = join(this.base, 'berth.sock');
    this.host = `unix://${this.socket}`;
    this.logPath = join(this.base, 'berthd.log');
    mkdirSync(this.base, { recursive: true });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  log(): string {
    try {
      return readFileSync(this.logPath, 'utf8');
    } catch {
      return '';
    }
  }

  async start(): Promise<void> {
    const fd = openSync(this.logPath, 'a');
    const args = [
      BERTHD,
      '--root', this.root,
      '--exec-root', this.execRoot,
      '--socket', this.socket,
      '--bridge-name', this.bridgeName,
      '--bridge-subnet', this.subnet,
      '--debug',
      ...this.extraArgs,
    ];
    // Docker Hub is a closed local port for test daemons: pulls of Hub images fail fast without any traffic leaving the machine.
    this.child = spawn(process.execPath, args, { stdio: ['ignore', fd, fd], env: { ...process.env, BERTH_DOCKER_HUB_REGISTRY: process.env['BERTH_DOCKER_HUB_REGISTRY'] ?? '127.0.0.1:1' } });
    closeSync(fd);
    live.add(this);
    const child = this.child;
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`berthd exited with ${child.exitCode} at start:\n${this.log()}`);
      if (await ping(this.socket)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`berthd did not answer on ${this.socket} within 15 s:\n${this.log()}`);
  }

  private async signal(sig: NodeJS.Signals, waitMs: number): Promise<boolean> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return true;
    const exited = new Promise<boolean>((r) => c.once('exit', () => r(true)));
    c.kill(sig);
    return Promise.race([exited, new Promise<boolean>((r) => setTimeout(() => r(false), waitMs))]);
  }

  async stop(): Promise<void> {
    if (!(await this.signal('SIGTERM', 10_000))) await this.signal('SIGKILL', 5_000);
  }

  async kill(): Promise<void> {
    await this.signal('SIGKILL', 5_000);
  }

  async cleanup(): Promise<void> {
    await this.stop();
    cleanupHost(this);
    live.delete(this);
  }
}

/** Removes what a daemon left on the host. Synchronous so it can run from an exit hook. */
function cleanupHost(d: { base: string; bridgeName: string; id: string }): void {
  // Containers left by a failed test: their processes do not name our dirs and outlive their
  // monitors, and their cgroups stay. `runc delete --force` kills the processes and removes the cgroups.
  const runcRoot = join(d.base, 'run', 'runc');
  let runcIds: string[] = [];
  try {
    runcIds = readdirSync(runcRoot);
  } catch {
    /* no container ever ran */
  }
  for (const id of runcIds) spawnSync('runc', ['--root', runcRoot, 'delete', '--force', id], { stdio: 'ignore' });
  // Processes started for this daemon (monitors, containers' runc): found by their command line naming our dirs.
  for (const pid of pidsMentioning(d.base)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  // Mounts under our dirs, deepest first.
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => !!m && (m === d.base || m.startsWith(`${d.base}/`)))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) spawnSync('umount', ['-l', m]);
  // Network devices: the daemon's bridges (the default one and those of user networks, from its
  // state file, when the daemon marked them as its own) and any veth still enslaved to them.
  const bridges = new Set([d.bridgeName]);
  let marker: string | undefined;
  try {
    marker = `berth:${readFileSync(join(d.base, 'root/engine-id'), 'utf8').trim()}`;
    const st = JSON.parse(readFileSync(join(d.base, 'root/network/state.json'), 'utf8')) as { networks: { bridge: string }[] };
    for (const n of st.networks) if (n.bridge && ifalias(n.bridge) === marker) bridges.add(n.bridge);
  } catch {
    /* no network state: only the default bridge */
  }
  for (const b of bridges) {
    const ports = spawnSync('ip', ['-o', 'link', 'show', 'master', b], { encoding: 'utf8' }).stdout ?? '';
    for (const m of ports.matchAll(/^\d+: ([^:@]+)/gm)) spawnSync('ip', ['link', 'del', m[1]!], { stdio: 'ignore' });
    spawnSync('ip', ['link', 'del', b], { stdio: 'ignore' });
  }
  const tables = spawnSync('nft', ['list', 'tables'], { encoding: 'utf8' }).stdout ?? '';
  for (const m of tables.matchAll(/^table (\w+) (\S+)$/gm)) {
    if (m[2]!.includes(d.bridgeName)) spawnSync('nft', ['delete', 'table', m[1]!, m[2]!], { stdio: 'ignore' });
  }
  // The daemon's own chain in the iptables filter table (network/firewall.ts forwardCompatChain).
  if (/^table ip filter$/m.test(tables)) {
    const chain = `BERTH-FWD-${d.bridgeName}`;
    spawnSync('iptables-nft-restore', ['-w', '--noflush'], { input: `*filter\n-D FORWARD -j ${chain}\nCOMMIT\n`, stdio: ['pipe', 'ignore', 'ignore'] });
    spawnSync('iptables-nft-restore', ['-w', '--noflush'], { input: `*filter\n-F ${chain}\n-X ${chain}\nCOMMIT\n`, stdio: ['pipe', 'ignore', 'ignore'] });
  }
  rmSync(d.base, { recursive: true, force: true });
}

function ifalias(ifname: string): string | undefined {
  try {
    return readFileSync(`/sys/class/net/${ifname}/ifalias`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function pidsMentioning(path: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (cmd.includes(path)) out.push(Number(name));
    } catch {
      /* the process ended meanwhile */
    }
  }
  return out;
}

function ping(socket: string): Promise<boolean> {
  if (!existsSync(socket)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const req = http.request({ socketPath: socket, path: '/_ping', method: 'GET', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

export async function startDaemon(extraArgs: string[] = []): Promise<TestDaemon> {
  const d = new Daemon(extraArgs);
  try {
    await d.start();
  } catch (e) {
    await d.cleanup();
    throw e;
  }
  return d;
}

// A test process stopped by a signal (a cancelled CI run) exits normally, so the exit handlers
// here and in the other harness modules still clean up.
const SIGNAL_CODES = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;
for (const [sig, n] of Object.entries(SIGNAL_CODES)) process.once(sig, () => process.exit(128 + n));

// If the test process ends without running its after-hooks (a crash, an
// uncaught error), still leave the host clean.
process.on('exit', () => {
  for (const d of live) {
    try {
      if (d.pid) process.kill(d.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    cleanupHost(d);
  }
});

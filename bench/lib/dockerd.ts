/**
 * `--with-docker`: starts Debian's dockerd (20.10, with its managed
 * containerd) for the bench on its own data root, exec root, socket, pid file
 * and bridge, and afterwards puts the host back as it was.
 *
 * Docker's bridge scenarios need Docker's own networking (iptables, the
 * userland proxy), so dockerd runs with its defaults except for the bridge:
 * instead of docker0 on 172.17.0.0/16 (possibly taken by another engine on
 * this host) the bench creates a bridge of its own on a free 10.x.y.0/24 and
 * passes it with `--bridge`. Before starting, it records what dockerd may
 * change on the host: the iptables/ip6tables rules and chains of the filter
 * and nat tables (and whether those nftables tables exist at all), the
 * forwarding and bridge-netfilter sysctls, the directories dockerd and
 * containerd use outside their roots (/run/docker, /run/containerd,
 * /etc/docker, /var/lib/docker, /var/lib/containerd) and the `docker` cgroups.
 * `stop()` (synchronous, so it also runs from an exit hook) stops dockerd by
 * pid (SIGTERM, then SIGKILL), kills what is left of its processes (found by
 * their command line naming the bench's directories or bridge subnet),
 * removes leftover runc containers, unmounts everything under the data and
 * exec roots, deletes the rules and DOCKER* chains dockerd added (and the
 * filter/nat tables when they did not exist before and nothing but Docker's
 * and berth's compat rules is left in them), restores the sysctls and the
 * FORWARD policy, deletes the bridge and whatever dockerd created in those
 * directories and cgroups, and reports anything it could not put back.
 *
 * It refuses to start when another dockerd is running on the host: the
 * iptables chain names (DOCKER, DOCKER-USER, DOCKER-ISOLATION-STAGE-*) are
 * global, so two daemons would share them.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Api } from './api.js';
import { alive, freeSubnet, processes, sh, sleep, sleepSync } from './host.js';

export const DOCKERD = '/usr/sbin/dockerd';

const WATCHED_DIRS = ['/run/docker', '/run/containerd', '/etc/docker', '/var/lib/docker', '/var/lib/containerd'];
const SYSCTLS = [
  '/proc/sys/net/ipv4/ip_forward',
  '/proc/sys/net/ipv6/conf/all/forwarding',
  '/proc/sys/net/bridge/bridge-nf-call-iptables',
  '/proc/sys/net/bridge/bridge-nf-call-ip6tables',
];
const IPT_TABLES = ['filter', 'nat'] as const;
const FAMILIES = [
  { family: 'ip', bin: 'iptables' },
  { family: 'ip6', bin: 'ip6tables' },
] as const;

interface HostSnapshot {
  nftTables: Set<string>;
  /** "ip filter" → `iptables -t filter -S` lines (only for tables that existed). */
  ipt: Map<string, string[]>;
  sysctls: Map<string, string>;
  files: Set<string>;
  cgroupDirs: Set<string>;
}

function nftTables(): Set<string> {
  return new Set(
    sh('nft', ['list', 'tables'])
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('table '))
      .map((l) => l.slice('table '.length)),
  );
}

function iptRules(bin: string, table: string): string[] {
  return sh(bin, ['-w', '-t', table, '-S']).split('\n').filter(Boolean);
}

function listTree(root: string, depth = 8): string[] {
  const out: string[] = [];
  const walk = (p: string, d: number): void => {
    out.push(p);
    if (d === 0) return;
    let st;
    try {
      st = statSync(p, { throwIfNoEntry: false });
    } catch {
      return;
    }
    if (!st?.isDirectory()) return;
    let names: string[] = [];
    try {
      names = readdirSync(p);
    } catch {
      return;
    }
    for (const n of names) walk(join(p, n), d - 1);
  };
  if (existsSync(root)) walk(root, depth);
  return out;
}

/** `docker` cgroup directories in every mounted hierarchy (cgroup v1 controllers, or the v2 root). */
function dockerCgroupDirs(): string[] {
  const out: string[] = [];
  const roots = ['/sys/fs/cgroup', ...readdirSync('/sys/fs/cgroup').map((c) => join('/sys/fs/cgroup', c))];
  for (const r of roots) {
    const d = join(r, 'docker');
    if (!existsSync(d)) continue;
    out.push(d);
    try {
      for (const n of readdirSync(d)) if (statSync(join(d, n)).isDirectory()) out.push(join(d, n));
    } catch {
      /* gone */
    }
  }
  return out;
}

function snapshot(): HostSnapshot {
  const tables = nftTables();
  const ipt = new Map<string, string[]>();
  for (const { family, bin } of FAMILIES) for (const t of IPT_TABLES) if (tables.has(`${family} ${t}`)) ipt.set(`${family} ${t}`, iptRules(bin, t));
  const sysctls = new Map<string, string>();
  for (const s of SYSCTLS) {
    try {
      sysctls.set(s, readFileSync(s, 'utf8').trim());
    } catch {
      /* not on this kernel */
    }
  }
  return { nftTables: tables, ipt, sysctls, files: new Set(WATCHED_DIRS.flatMap((d) => listTree(d))), cgroupDirs: new Set(dockerCgroupDirs()) };
}

/** Splits an `iptables -S` line into arguments (double quotes group). */
function splitRule(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line))) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
  return out;
}

export function otherDockerds(ownPid?: number): number[] {
  return processes()
    .filter((p) => p.pid !== ownPid && /(^|\/)dockerd$/.test(p.cmdline[0] ?? ''))
    .map((p) => p.pid);
}

export interface OwnDocker {
  readonly base: string;
  readonly socket: string;
  readonly bridge: string;
  readonly subnet: string;
  readonly pid: number;
  log(): string;
  /** Stops dockerd and restores the host; returns what could not be restored (empty when clean). */
  stop(alsoBridges?: string[]): string[];
}

export async function startOwnDocker(base: string): Promise<OwnDocker> {
  if (!existsSync(DOCKERD)) throw new Error(`${DOCKERD} is not installed (Debian: apt-get install docker.io)`);
  const others = otherDockerds();
  if (others.length) throw new Error(`another dockerd is running (pid ${others.join(', ')}); bench against it with --docker-host instead of --with-docker`);
  mkdirSync(base, { recursive: true });
  const before = snapshot();
  const id = Math.random().toString(16).slice(2, 8);
  const bridge = `bbd${id}`;
  const { subnet, gateway } = freeSubnet();
  const socket = join(base, 'docker.sock');
  const logPath = join(base, 'dockerd.log');
  const configFile = join(base, 'daemon.json');
  writeFileSync(configFile, '{}\n');
  let pid = 0;
  let stopped = false;

  const stop = (alsoBridges: string[] = []): string[] => {
    if (stopped) return [];
    stopped = true;
    const problems: string[] = [];
    // 1. dockerd by pid: SIGTERM stops its containers, proxies and its managed containerd.
    if (pid && alive(pid)) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* gone */
      }
      for (let i = 0; i < 150 && alive(pid); i++) sleepSync(100);
      if (alive(pid)) {
        problems.push(`dockerd ${pid} ignored SIGTERM for 15 s; killed`);
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
        for (let i = 0; i < 50 && alive(pid); i++) sleepSync(100);
      }
    }
    // 2. Leftovers of a killed dockerd: containers (runc state naming our roots), then processes naming our dirs or subnet.
    const prefix = gateway.slice(0, gateway.lastIndexOf('.') + 1);
    const runcRoots = ['/run/containerd/runc/moby', join(base, 'exec/runtime-runc/moby')];
    for (const root of runcRoots) {
      if (!existsSync(root)) continue;
      for (const cid of readdirSync(root)) {
        try {
          if (readFileSync(join(root, cid, 'state.json'), 'utf8').includes(base)) spawnSync('runc', ['--root', root, 'delete', '--force', cid], { stdio: 'ignore' });
        } catch {
          /* not a container dir */
        }
      }
    }
    for (const p of processes()) {
      if (p.pid === process.pid) continue;
      const cmd = p.cmdline.join(' ');
      if (cmd.includes(base) || (/docker-proxy/.test(p.cmdline[0] ?? '') && cmd.includes(`-container-ip ${prefix}`))) {
        problems.push(`killed leftover process ${p.pid} (${p.cmdline[0]})`);
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    // 3. Mounts under the bench's Docker dirs, deepest first.
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[4])
      .filter((m): m is string => !!m && (m === base || m.startsWith(`${base}/`) || [...WATCHED_DIRS].some((w) => m.startsWith(`${w}/`) && !before.files.has(m))))
      .sort((a, b) => b.length - a.length);
    for (const m of mounts) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
    // 4. Firewall: rules dockerd added (and berth's compat rules for our bridges), DOCKER* chains, policies, new tables.
    const shared = otherDockerds(pid).length > 0;
    if (shared) problems.push('another dockerd started meanwhile: DOCKER chains left in place, only our bridge rules removed');
    const ourNames = [bridge, ...alsoBridges];
    const nowTables = nftTables();
    for (const { family, bin } of FAMILIES) {
      for (const t of IPT_TABLES) {
        const key = `${family} ${t}`;
        if (!nowTables.has(key)) continue;
        const prev = before.ipt.get(key);
        const prevSet = new Set(prev ?? []);
        const lines = iptRules(bin, t);
        for (const l of lines) {
          if (!l.startsWith('-A ') || prevSet.has(l)) continue;
          const ours = ourNames.some((n) => l.includes(` ${n} `) || l.endsWith(` ${n}`)) || l.includes(` ${prefix}`);
          if (ours || (!shared && /DOCKER/.test(l))) spawnSync(bin, ['-w', '-t', t, '-D', ...splitRule(l).slice(1)], { stdio: 'ignore' });
        }
        if (!shared) {
          const chains = lines.filter((l) => /^-N DOCKER/.test(l) && !prevSet.has(l)).map((l) => l.split(' ')[1]!);
          for (const c of chains) spawnSync(bin, ['-w', '-t', t, '-F', c], { stdio: 'ignore' });
          for (const c of chains) spawnSync(bin, ['-w', '-t', t, '-X', c], { stdio: 'ignore' });
        }
        for (const l of lines.filter((x) => x.startsWith('-P '))) {
          const [, chain, policy] = l.split(' ');
          const was = prev?.find((x) => x.startsWith(`-P ${chain} `))?.split(' ')[2] ?? 'ACCEPT';
          if (policy !== was) spawnSync(bin, ['-w', '-t', t, '-P', chain!, was], { stdio: 'ignore' });
        }
        if (!prev && !shared) {
          // The table did not exist before: drop it if only built-in chains and berth's compat chain are left.
          const left = iptRules(bin, t).filter((l) => !l.startsWith('-P ') && !/BERTH-FORWARD/.test(l));
          if (left.length === 0) spawnSync('nft', ['delete', 'table', family, t], { stdio: 'ignore' });
          else problems.push(`${key} table kept (it has rules of others): ${left.join('; ')}`);
        }
      }
    }
    // 5. Sysctls.
    for (const [path, value] of before.sysctls) {
      try {
        if (readFileSync(path, 'utf8').trim() !== value) writeFileSync(path, `${value}\n`);
      } catch (e) {
        problems.push(`cannot restore ${path}: ${(e as Error).message}`);
      }
    }
    // 6. The bridge (and any veth still on it).
    const ports = sh('ip', ['-o', 'link', 'show', 'master', bridge]);
    for (const m of ports.matchAll(/^\d+: ([^:@]+)/gm)) spawnSync('ip', ['link', 'del', m[1]!], { stdio: 'ignore' });
    spawnSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
    // 7. What dockerd/containerd created outside their roots, and cgroups.
    const newFiles = WATCHED_DIRS.flatMap((d) => listTree(d))
      .filter((f) => !before.files.has(f))
      .sort((a, b) => b.length - a.length);
    for (const f of newFiles) rmSync(f, { recursive: true, force: true });
    const newCgroups = dockerCgroupDirs()
      .filter((d) => !before.cgroupDirs.has(d))
      .sort((a, b) => b.length - a.length);
    for (const d of newCgroups) {
      try {
        rmdirSync(d);
      } catch (e) {
        problems.push(`cgroup ${d} left: ${(e as Error).message}`);
      }
    }
    // 8. Check.
    if (sh('ip', ['-o', 'link', 'show', bridge]).trim()) problems.push(`bridge ${bridge} still present`);
    const after = nftTables();
    for (const tname of after) if (!before.nftTables.has(tname) && /^ip6? (filter|nat)$/.test(tname) && !shared) problems.push(`nft table ${tname} still present`);
    for (const { family, bin } of FAMILIES) {
      for (const t of IPT_TABLES) {
        if (!after.has(`${family} ${t}`)) continue;
        const left = iptRules(bin, t).filter((l) => /DOCKER/.test(l) && !(before.ipt.get(`${family} ${t}`) ?? []).includes(l));
        if (left.length && !shared) problems.push(`${bin} -t ${t}: left ${left.join('; ')}`);
      }
    }
    return problems;
  };

  // The bridge dockerd attaches its containers to (dockerd takes its address as gateway and subnet).
  const prefixLen = subnet.split('/')[1]!;
  for (const args of [
    ['link', 'add', bridge, 'type', 'bridge'],
    ['addr', 'add', `${gateway}/${prefixLen}`, 'dev', bridge],
    ['link', 'set', bridge, 'up'],
  ]) {
    const r = spawnSync('ip', args, { encoding: 'utf8' });
    if (r.status !== 0) {
      stop();
      throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
    }
  }
  const fd = openSync(logPath, 'a');
  const child = spawn(
    DOCKERD,
    [
      '--data-root', join(base, 'data'),
      '--exec-root', join(base, 'exec'),
      '--host', `unix://${socket}`,
      '--pidfile', join(base, 'docker.pid'),
      '--config-file', configFile,
      '--bridge', bridge,
    ],
    { stdio: ['ignore', fd, fd], detached: true },
  );
  closeSync(fd);
  pid = child.pid ?? 0;
  child.unref();
  const api = new Api(socket);
  const handle: OwnDocker = {
    base,
    socket,
    bridge,
    subnet,
    pid,
    log: () => {
      try {
        return readFileSync(logPath, 'utf8');
      } catch {
        return '';
      }
    },
    stop,
  };
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`dockerd exited with ${child.exitCode}:\n${handle.log().slice(-2000)}`);
      if (existsSync(socket) && (await api.ping())) break;
      if (Date.now() > deadline) throw new Error(`dockerd did not answer within 60 s:\n${handle.log().slice(-2000)}`);
      await sleep(200);
    }
  } catch (e) {
    api.close();
    const problems = stop();
    if (problems.length) process.stderr.write(`bench: docker cleanup: ${problems.join('\n')}\n`);
    throw e;
  }
  api.close();
  return handle;
}

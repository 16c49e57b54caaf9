/**
 * The generated firewall against the real kernel, entirely inside network
 * namespaces this test creates (nothing on the host's interfaces, routes or
 * tables is touched):
 *
 *   R (remote host) ── veth ── H (the "host": bridges, berth's table)
 *                                ├─ bridge b1 10.77.1.0/24 ── C  (10.77.1.2, servers on :80 tcp, :5353 udp)
 *                                ├─ bridge b2 10.77.2.0/24 ── C2 (10.77.2.2, another network)
 *                                └─ bridge b3 10.77.3.0/24 ── C3 (10.77.3.2, internal network)
 *
 * Each namespace runs one small Node agent (servers plus a client driven over
 * stdin/stdout as JSON lines). Needs root; everything is removed in `after`.
 */
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { ipBatch, ipBatchInNetns, linkExistsInNetns } from '../sys/ip.js';
import {
  forwardHookChains,
  iptablesFilterRules,
  iptablesRestore,
  nftApply,
  nftDeleteTable,
  nftListTable,
} from '../sys/nft.js';
import { sysctlKeys, writeSysctlsInNetns } from '../sys/sysctl.js';
import {
  FORWARD_COMPAT_CHAIN,
  buildRuleset,
  forwardCompatRestore,
  parseIptablesRules,
  removeRulesetScript,
  type FirewallPublish,
  type FirewallState,
} from './firewall.js';

const AGENT = String.raw`
import net from 'node:net';
import dgram from 'node:dgram';
import readline from 'node:readline';
const name = process.argv[2];
const servers = [];
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const rl = readline.createInterface({ input: process.stdin });
rl.on('close', () => process.exit(0));
rl.on('line', (line) => {
  const m = JSON.parse(line);
  const done = (o) => out({ id: m.id, ...o });
  if (m.op === 'listen' && m.proto === 'tcp') {
    const s = net.createServer((c) => { c.end(name + ' ' + c.remoteAddress.replace(/^::ffff:/, '') + '\n'); c.on('error', () => {}); });
    s.listen(m.port, '0.0.0.0', () => done({ ok: true }));
    s.on('error', (e) => done({ ok: false, error: e.code }));
    servers.push(s);
  } else if (m.op === 'listen' && m.proto === 'udp') {
    const s = dgram.createSocket('udp4');
    s.on('message', (msg, r) => s.send(name + ' ' + r.address, r.port, r.address));
    s.bind(m.port, '0.0.0.0', () => done({ ok: true }));
    servers.push(s);
  } else if (m.op === 'connect' && m.proto === 'tcp') {
    const c = net.connect({ host: m.host, port: m.port });
    let data = '';
    const t = setTimeout(() => { c.destroy(); done({ ok: false, error: 'ETIMEDOUT' }); }, m.timeout);
    c.on('data', (d) => (data += d));
    c.on('end', () => { clearTimeout(t); done({ ok: true, reply: data.trim() }); });
    c.on('error', (e) => { clearTimeout(t); done({ ok: false, error: e.code }); });
  } else if (m.op === 'connect' && m.proto === 'udp') {
    const s = dgram.createSocket('udp4');
    const t = setTimeout(() => { s.close(); done({ ok: false, error: 'ETIMEDOUT' }); }, m.timeout);
    s.on('message', (msg) => { clearTimeout(t); s.close(); done({ ok: true, reply: msg.toString() }); });
    s.on('error', (e) => { clearTimeout(t); s.close(); done({ ok: false, error: e.code }); });
    s.send('ping', m.port, m.host);
  }
});
out({ ready: true });
`;

interface Reply {
  ok: boolean;
  reply?: string;
  error?: string;
}

class Agent {
  readonly proc: ChildProcessWithoutNullStreams;
  #next = 1;
  readonly #waiting = new Map<number, (r: Reply) => void>();
  readonly ready: Promise<void>;

  constructor(netns: string, name: string, script: string) {
    this.proc = spawn('ip', ['netns', 'exec', netns, process.execPath, script, name], { stdio: ['pipe', 'pipe', 'pipe'] });
    let readyResolve!: () => void;
    this.ready = new Promise((r) => (readyResolve = r));
    createInterface({ input: this.proc.stdout }).on('line', (line) => {
      const m = JSON.parse(line) as Reply & { id?: number; ready?: boolean };
      if (m.ready) readyResolve();
      else if (m.id !== undefined) this.#waiting.get(m.id)?.(m), this.#waiting.delete(m.id);
    });
    this.proc.stderr.on('data', (d: Buffer) => process.stderr.write(`[agent ${name}] ${d}`));
  }

  get pid(): number {
    return this.proc.pid!;
  }

  #ask(msg: Record<string, unknown>): Promise<Reply> {
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#waiting.set(id, resolve);
      this.proc.stdin.write(JSON.stringify({ id, ...msg }) + '\n');
    });
  }

  listen(proto: 'tcp' | 'udp', port: number): Promise<Reply> {
    return this.#ask({ op: 'listen', proto, port });
  }

  connect(proto: 'tcp' | 'udp', host: string, port: number, timeout = 700): Promise<Reply> {
    return this.#ask({ op: 'connect', proto, host, port, timeout });
  }

  stop(): void {
    this.proc.stdin.end();
    if (this.proc.exitCode === null) this.proc.kill('SIGTERM');
  }
}

const isRoot = process.getuid?.() === 0;
const id = randomBytes(3).toString('hex');
const P = `btnet${id}`; // interface names stay ≤ 15 characters
const NS = { h: `${P}h`, r: `${P}r`, c: `${P}c`, c2: `${P}c2`, c3: `${P}c3` };
const B1 = `${P}b1`;
const B2 = `${P}b2`;
const B3 = `${P}b3`;
const EXT1 = '198.51.100.1';
const EXT2 = '198.51.100.2';
const REMOTE = '198.51.100.10';
const TABLE = `berth_${id}`;

const NETWORKS: FirewallState['networks'] = [
  { bridge: B1, subnet: '10.77.1.0/24', internal: false, masquerade: true },
  { bridge: B2, subnet: '10.77.2.0/24', internal: false, masquerade: true },
  { bridge: B3, subnet: '10.77.3.0/24', internal: true, masquerade: false },
];
const PUB_ANY: FirewallPublish = { containerIp: '10.77.1.2', bridge: B1, proto: 'tcp', hostIp: '', hostPort: 8080, containerPort: 80 };
const PUB_UDP: FirewallPublish = { containerIp: '10.77.1.2', bridge: B1, proto: 'udp', hostIp: '0.0.0.0', hostPort: 5300, containerPort: 5353 };
const PUB_BOUND: FirewallPublish = { containerIp: '10.77.1.2', bridge: B1, proto: 'tcp', hostIp: EXT2, hostPort: 9090, containerPort: 80 };
const PUB_LOCAL: FirewallPublish = { containerIp: '10.77.1.2', bridge: B1, proto: 'tcp', hostIp: '127.0.0.1', hostPort: 9191, containerPort: 80 };
const ALL = [PUB_ANY, PUB_UDP, PUB_BOUND, PUB_LOCAL];

const state = (publishes: FirewallPublish[]): FirewallState => ({ table: TABLE, networks: NETWORKS, publishes });
const nsExec = (ns: string, argv: string[]) => execFileSync('ip', ['netns', 'exec', ns, ...argv], { stdio: 'pipe' }).toString();

describe('firewall on a real kernel (test network namespaces)', { skip: isRoot ? false : 'needs root' }, () => {
  let dir = '';
  const agents: Record<string, Agent> = {};
  const created: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'btnet-'));
    const script = join(dir, 'agent.mjs');
    writeFileSync(script, AGENT);
    for (const ns of Object.values(NS)) {
      await ipBatch([`netns add ${ns}`]);
      created.push(ns);
    }
    // H: uplink to R, three bridges, one veth per container (created in H, peer moved into the container netns)
    await ipBatch(
      [
        'link set lo up',
        `link add ${P}x type veth peer name eth0 netns ${NS.r}`,
        `addr add ${EXT1}/24 dev ${P}x`,
        `addr add ${EXT2}/24 dev ${P}x`,
        `link set ${P}x up`,
        ...[
          [B1, '10.77.1.1', NS.c, 'v1'],
          [B2, '10.77.2.1', NS.c2, 'v2'],
          [B3, '10.77.3.1', NS.c3, 'v3'],
        ].flatMap(([br, gw, ns, v]) => [
          `link add ${br} type bridge`,
          `addr add ${gw}/24 dev ${br}`,
          `link set ${br} up`,
          `link add ${P}${v} type veth peer name eth0 netns ${ns}`,
          `link set ${P}${v} master ${br}`,
          `link set dev ${P}${v} type bridge_slave hairpin on`,
          `link set ${P}${v} up`,
        ]),
      ],
      { netns: NS.h },
    );
    await writeSysctlsInNetns({ netns: NS.h }, { [sysctlKeys.ipForward]: 1, [sysctlKeys.routeLocalnet(B1)]: 1 });
    // R knows a route to the container subnets through H (to prove direct routing is refused)
    await ipBatch(['link set lo up', `addr add ${REMOTE}/24 dev eth0`, 'link set eth0 up', `route add 10.77.0.0/16 via ${EXT1}`], { netns: NS.r });

    for (const [k, ns] of Object.entries(NS)) {
      agents[k] = new Agent(ns, k, script);
      await agents[k]!.ready;
    }
    // containers: addresses and default routes, set through the agent's pid (as the service does with a container's pid)
    const conf: [string, string][] = [
      ['c', '10.77.1'],
      ['c2', '10.77.2'],
      ['c3', '10.77.3'],
    ];
    for (const [k, net] of conf) {
      await ipBatchInNetns(agents[k]!.pid, ['link set lo up', `addr add ${net}.2/24 dev eth0`, 'link set eth0 up', `route add default via ${net}.1`]);
    }
    for (const k of ['c', 'c2', 'c3']) assert.equal((await agents[k]!.listen('tcp', 80)).ok, true);
    assert.equal((await agents.c!.listen('udp', 5353)).ok, true);
    assert.equal((await agents.r!.listen('tcp', 7000)).ok, true);
    await nftApply(buildRuleset(state(ALL)), { netns: NS.h });
  });

  after(async () => {
    for (const a of Object.values(agents)) a.stop();
    for (const ns of created) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        /* already gone */
      }
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('sets up the lab (sys/ip in a named netns and in the netns of a pid)', async () => {
    assert.equal(await linkExistsInNetns(NS.h, B1), true);
    assert.equal(await linkExistsInNetns(NS.h, `${P}zz`), false);
  });

  it('applying the same script twice gives the same table', async () => {
    const first = await nftListTable('ip', TABLE, { netns: NS.h });
    await nftApply(buildRuleset(state(ALL)), { netns: NS.h });
    assert.equal(await nftListTable('ip', TABLE, { netns: NS.h }), first);
    assert.match(first!, /dnat to 10\.77\.1\.2:80/);
  });

  it('publishes to any address: reachable from another host, with the client address preserved', async () => {
    const r = await agents.r!.connect('tcp', EXT1, 8080);
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.reply, `c ${REMOTE}`);
    assert.equal((await agents.r!.connect('tcp', EXT2, 8080)).reply, `c ${REMOTE}`);
  });

  it('publishes to any address: reachable from the host on its own address and on 127.0.0.1', async () => {
    const own = await agents.h!.connect('tcp', EXT1, 8080);
    assert.equal(own.ok, true, JSON.stringify(own));
    assert.equal(own.reply, 'c 10.77.1.1');
    const lo = await agents.h!.connect('tcp', '127.0.0.1', 8080);
    assert.equal(lo.ok, true, JSON.stringify(lo));
    assert.equal(lo.reply, 'c 10.77.1.1', 'the 127.0.0.1 source is masqueraded to the gateway');
    const gw = await agents.h!.connect('tcp', '10.77.1.1', 8080);
    assert.equal(gw.reply, 'c 10.77.1.1');
  });

  it('UDP publishes work', async () => {
    const r = await agents.r!.connect('udp', EXT1, 5300);
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.reply, `c ${REMOTE}`);
    const lo = await agents.h!.connect('udp', '127.0.0.1', 5300);
    assert.equal(lo.reply, 'c 10.77.1.1');
  });

  it('a port bound to one host address is reachable there only', async () => {
    assert.equal((await agents.r!.connect('tcp', EXT2, 9090)).reply, `c ${REMOTE}`);
    assert.equal((await agents.r!.connect('tcp', EXT1, 9090)).ok, false);
    assert.equal((await agents.h!.connect('tcp', '127.0.0.1', 9090)).ok, false);
    assert.equal((await agents.h!.connect('tcp', EXT2, 9090)).reply, 'c 10.77.1.1');
    // 127.0.0.1-only: from the host on loopback, not from the host's address nor from outside
    assert.equal((await agents.h!.connect('tcp', '127.0.0.1', 9191)).reply, 'c 10.77.1.1');
    assert.equal((await agents.h!.connect('tcp', EXT1, 9191)).ok, false);
    assert.equal((await agents.r!.connect('tcp', EXT1, 9191)).ok, false);
  });

  it('hairpin: a container reaches its own published port, and another network reaches it too', async () => {
    const self = await agents.c!.connect('tcp', EXT1, 8080);
    assert.equal(self.ok, true, JSON.stringify(self));
    assert.equal(self.reply, 'c 10.77.1.1', 'masqueraded so the reply comes back through the host');
    const other = await agents.c2!.connect('tcp', EXT1, 8080);
    assert.equal(other.ok, true, JSON.stringify(other));
  });

  it('outbound traffic is masqueraded', async () => {
    const r = await agents.c!.connect('tcp', REMOTE, 7000);
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.reply, `r ${EXT1}`);
    assert.equal((await agents.c2!.connect('tcp', REMOTE, 7000)).reply, `r ${EXT1}`);
  });

  it('networks are isolated from each other and from direct routing', async () => {
    assert.equal((await agents.c2!.connect('tcp', '10.77.1.2', 80)).ok, false, 'network 2 → container on network 1');
    assert.equal((await agents.c!.connect('tcp', '10.77.2.2', 80)).ok, false, 'network 1 → container on network 2');
    assert.equal((await agents.r!.connect('tcp', '10.77.1.2', 80)).ok, false, 'another host routing to a container address');
    // the host itself may reach containers directly (as with Docker)
    assert.equal((await agents.h!.connect('tcp', '10.77.1.2', 80)).reply, 'c 10.77.1.1');
  });

  it('internal networks reach nothing outside their subnet', async () => {
    assert.equal((await agents.c3!.connect('tcp', REMOTE, 7000)).ok, false);
    assert.equal((await agents.c3!.connect('tcp', '10.77.1.2', 80)).ok, false);
    assert.equal((await agents.c!.connect('tcp', '10.77.3.2', 80)).ok, false);
  });

  it('removing a publish removes its rule', async () => {
    await nftApply(buildRuleset(state([PUB_UDP, PUB_BOUND, PUB_LOCAL])), { netns: NS.h });
    const listing = await nftListTable('ip', TABLE, { netns: NS.h });
    assert.doesNotMatch(listing!, /dport 8080/);
    assert.equal((await agents.r!.connect('tcp', EXT1, 8080)).ok, false);
    assert.equal((await agents.h!.connect('tcp', '127.0.0.1', 8080)).ok, false);
    assert.equal((await agents.r!.connect('tcp', EXT2, 9090)).ok, true, 'the other publishes stay');
    await nftApply(buildRuleset(state(ALL)), { netns: NS.h });
    assert.equal((await agents.r!.connect('tcp', EXT1, 8080)).ok, true);
  });

  it('loopback stays the host\'s: a neighbour routing 127.0.0.1 to the host does not reach a port published on 127.0.0.1', async () => {
    // R sends 127.0.0.1 to H: a rule before its own local table routes it there.
    const toH = ['rule add pref 10 to 127.0.0.1 lookup 77', `route add 127.0.0.1/32 via ${EXT1} table 77`, 'rule del pref 0 lookup local', 'rule add pref 100 lookup local'];
    await ipBatch(toH, { netns: NS.r });
    // …and accepts the answers from 127.0.0.1 (martians otherwise).
    await writeSysctlsInNetns({ netns: NS.r }, { [sysctlKeys.routeLocalnet('eth0')]: 1 });
    try {
      // Without the localnet chain, DNAT in prerouting comes before the kernel's martian check: the attack works in this lab.
      const unguarded = buildRuleset(state(ALL), { recreate: true }).replace(/\tchain localnet \{[^}]*\}\n/, '');
      assert.doesNotMatch(unguarded, /localnet/);
      await nftApply(unguarded, { netns: NS.h });
      assert.equal((await agents.r!.connect('tcp', '127.0.0.1', 9191)).reply, `c ${REMOTE}`);
      await nftApply(buildRuleset(state(ALL), { recreate: true }), { netns: NS.h });
      assert.equal((await agents.r!.connect('tcp', '127.0.0.1', 9191)).ok, false);
      assert.equal((await agents.h!.connect('tcp', '127.0.0.1', 9191)).reply, 'c 10.77.1.1', 'the host itself still gets in');
    } finally {
      await ipBatch(['rule add pref 0 lookup local', 'rule del pref 100 lookup local', 'rule del pref 10'], { netns: NS.r });
      await nftApply(buildRuleset(state(ALL), { recreate: true }), { netns: NS.h });
    }
  });

  it("coexists with Docker's iptables FORWARD policy DROP through the compat chain", async () => {
    // what dockerd does at start (iptables-nft backend), inside H only
    nsExec(NS.h, ['iptables-nft', '-w', '-P', 'FORWARD', 'DROP']);
    nsExec(NS.h, ['iptables-nft', '-w', '-N', 'DOCKER-USER']);
    nsExec(NS.h, ['iptables-nft', '-w', '-A', 'FORWARD', '-j', 'DOCKER-USER']);
    const chains = await forwardHookChains({ netns: NS.h });
    assert.ok(chains.some((c) => c.table === 'filter' && c.chain === 'FORWARD' && c.policy === 'drop'), JSON.stringify(chains));
    assert.ok(chains.some((c) => c.table === TABLE && c.chain === 'forward' && c.policy === 'accept'));
    assert.equal((await agents.r!.connect('tcp', EXT1, 8080)).ok, false, "Docker's DROP wins over berth's accept");
    assert.equal((await agents.c!.connect('tcp', REMOTE, 7000)).ok, false);

    const bridges = NETWORKS.map((n) => n.bridge);
    for (let round = 0; round < 2; round++) {
      const rules = await iptablesFilterRules('nft', { netns: NS.h });
      assert.ok(rules !== undefined);
      const input = forwardCompatRestore(bridges, parseIptablesRules(rules), FORWARD_COMPAT_CHAIN);
      await iptablesRestore('nft', input!, { netns: NS.h });
    }
    const after = parseIptablesRules((await iptablesFilterRules('nft', { netns: NS.h }))!);
    assert.equal(after.rules.filter((r) => r === '-A FORWARD -j BERTH-FORWARD').length, 1, 'one jump, even after two syncs');
    assert.equal(after.rules[0], '-A FORWARD -j BERTH-FORWARD', 'first in FORWARD');
    assert.equal((await agents.r!.connect('tcp', EXT1, 8080)).reply, `c ${REMOTE}`);
    assert.equal((await agents.c!.connect('tcp', REMOTE, 7000)).reply, `r ${EXT1}`);
    // berth's own drops still apply
    assert.equal((await agents.c2!.connect('tcp', '10.77.1.2', 80)).ok, false);
    assert.equal((await agents.c3!.connect('tcp', REMOTE, 7000)).ok, false);

    // removal: back to Docker's policy alone
    const rm = forwardCompatRestore([], after, FORWARD_COMPAT_CHAIN);
    await iptablesRestore('nft', rm!, { netns: NS.h });
    const gone = parseIptablesRules((await iptablesFilterRules('nft', { netns: NS.h }))!);
    assert.equal(gone.chains.includes('BERTH-FORWARD'), false);
    assert.equal((await agents.r!.connect('tcp', EXT1, 8080)).ok, false);
    nsExec(NS.h, ['iptables-nft', '-w', '-P', 'FORWARD', 'ACCEPT']);
  });

  it('a layout change needs recreate; removal tolerates a missing table', async () => {
    const moved = buildRuleset(state(ALL)).replace('priority filter;', 'priority filter - 10;');
    await assert.rejects(nftApply(moved, { netns: NS.h }), /Operation not supported|Could not process rule/);
    await nftApply(buildRuleset(state(ALL), { recreate: true }).replace('priority filter;', 'priority filter - 10;'), { netns: NS.h });
    assert.match((await nftListTable('ip', TABLE, { netns: NS.h }))!, /priority filter - 10/);
    await nftApply(buildRuleset(state(ALL), { recreate: true }), { netns: NS.h });
    assert.equal((await agents.r!.connect('tcp', EXT1, 8080)).ok, true);

    await nftApply(removeRulesetScript(TABLE), { netns: NS.h });
    assert.equal(await nftListTable('ip', TABLE, { netns: NS.h }), undefined);
    await nftDeleteTable('ip', TABLE, { netns: NS.h });
    await assert.rejects(nftApply('table ip x {\n\tchain y {\n\t\tbogus\n\t}\n}\n', { netns: NS.h }), (e: Error) => /nft: .*Error/s.test(e.message));
  });
});

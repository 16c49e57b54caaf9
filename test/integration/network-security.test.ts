/**
 * The host's network stays the host's (the CVE-2020-8558 class), as attacks
 * against a real berthd:
 *
 * - a port published on 127.0.0.1 answers the host only: not a neighbour that
 *   routes 127.0.0.1 to the host, not a container sending to 127.0.0.1
 *   through its gateway (berth sets route_localnet on its bridges);
 * - a container cannot reach what the host binds to 127.0.0.1, even with
 *   Ethernet frames built by hand (CAP_NET_RAW is a default capability);
 * - `com.docker.network.bridge.name` cannot take over an interface berth did
 *   not create (sysctls, addresses, rules, deletion); berth's own bridges carry
 *   the daemon's mark, which an earlier berth's bridge gets at start;
 * - several daemons on one host never remove each other's firewall rules.
 *
 * Hand-built frames come from a small Perl script using only builtins
 * (AF_PACKET socket, pack), run by the host's perl bind-mounted read-only
 * with its libraries. Every attack has a control that the same means succeed
 * against an allowed target, so a silent tool cannot pass for a firewall.
 *
 * Traffic stays on this machine: loopback, the test daemons' bridges, and a
 * "neighbour" network namespace made here.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import dgram from 'node:dgram';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { REPO, startDaemon, type TestDaemon } from '../harness/daemon.js';
import { cliSession, sdk } from '../harness/clients.js';
import { loadBusybox } from '../harness/fixtures.js';
import { freePorts, freeSubnet, hostBinary, httpd, httpGet, RemoteHost } from '../harness/net.js';
import { until } from '../harness/wait.js';

/**
 * argv: mode (syn|udp) srcIp dstIp dstPort dstMac waitSeconds. Sends one TCP
 * SYN or UDP datagram as a raw Ethernet frame out of eth0 and prints what
 * came back: "SYN-ACK from A:P" (then completes the handshake with an ACK),
 * "reply from A:P" (UDP) or "no reply".
 */
const RAW_SEND_PL = String.raw`
my ($mode, $sip, $dip, $dport, $dmac, $wait) = @ARGV;
sub rd { open(my $f, '<', $_[0]) or die "$_[0]: $!\n"; my $v = <$f>; chomp $v; $v }
sub mac { pack 'H12', join '', split /:/, $_[0] }
sub ipb { pack 'C4', split /\./, $_[0] }
sub sum { my $d = shift; $d .= "\0" if length($d) % 2; my $s = 0; $s += $_ for unpack 'n*', $d; $s = ($s >> 16) + ($s & 0xffff) while $s >> 16; pack 'n', ~$s & 0xffff }
my $ifx = rd('/sys/class/net/eth0/ifindex');
my $smac = rd('/sys/class/net/eth0/address');
my $proto = $mode eq 'syn' ? 6 : 17;
sub frame {
  my $l4 = shift;
  my $c = sum(ipb($sip) . ipb($dip) . pack('C C n', 0, $proto, length $l4) . $l4);
  $c = "\xff\xff" if $proto == 17 && $c eq "\0\0";
  substr($l4, $proto == 6 ? 16 : 6, 2) = $c;
  my $ip = pack('C C n n n C C n', 0x45, 0, 20 + length $l4, int(rand(65535)), 0x4000, 64, $proto, 0) . ipb($sip) . ipb($dip);
  substr($ip, 10, 2) = sum($ip);
  mac($dmac) . mac($smac) . pack('n', 0x0800) . $ip . $l4;
}
socket(S, 17, 3, 0x0300) or die "socket(AF_PACKET): $!\n";
bind(S, pack('S n i S C C a8', 17, 3, $ifx, 0, 0, 0, '')) or die "bind: $!\n";
my $to = pack('S n i S C C a8', 17, 0x0800, $ifx, 0, 0, 6, mac($dmac));
my $sport = 20000 + int(rand(30000));
my $seq = int(rand(2**31));
if ($proto == 6) { send(S, frame(pack('n n N N n n n n', $sport, $dport, $seq, 0, 0x5002, 64240, 0, 0)), 0, $to) or die "send: $!\n"; }
else { my $data = "datagram from $sip"; send(S, frame(pack('n n n n', $sport, $dport, 8 + length $data, 0) . $data), 0, $to) or die "send: $!\n"; }
my $deadline = time + $wait;
while ((my $left = $deadline - time) > 0) {
  my $rin = ''; vec($rin, fileno(S), 1) = 1;
  last unless select(my $rout = $rin, undef, undef, $left);
  recv(S, my $buf, 65535, 0);
  next if length($buf) < 34 || unpack('n', substr($buf, 12, 2)) != 0x0800 || ord(substr($buf, 23, 1)) != $proto;
  my $ihl = (ord(substr($buf, 14, 1)) & 15) * 4;
  my $src = join '.', unpack('C4', substr($buf, 26, 4));
  my ($sp, $dp, $rseq, $rack, $flags) = unpack('n n N N n', substr($buf, 14 + $ihl, 14));
  next unless $sp == $dport && $dp == $sport;
  if ($proto == 17) { print "reply from $src:$sp\n"; exit 0; }
  next unless ($flags & 0x12) == 0x12;
  send(S, frame(pack('n n N N n n n n', $sport, $dport, $seq + 1, $rseq + 1, 0x5010, 64240, 0, 0)), 0, $to);
  print "SYN-ACK from $src:$sp\n";
  exit 0;
}
print "no reply\n";
`;

function sysfs(path: string): string {
  return readFileSync(path, 'utf8').trim();
}

/** What berth must leave alone on an interface it did not make. */
function ifaceState(name: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of ['route_localnet', 'forwarding', 'rp_filter', 'accept_local']) out[key] = sysfs(`/proc/sys/net/ipv4/conf/${name}/${key}`);
  out['alias'] = sysfs(`/sys/class/net/${name}/ifalias`);
  out['link'] = spawnSync('ip', ['-o', 'link', 'show', 'dev', name], { encoding: 'utf8' }).stdout.replace(/\\\s+link\/.*/, '').replace(/^\d+: /, '');
  out['addrs'] = spawnSync('ip', ['-o', 'addr', 'show', 'dev', name], { encoding: 'utf8' }).stdout;
  return out;
}

function linkExists(name: string): boolean {
  return spawnSync('ip', ['link', 'show', 'dev', name], { stdio: 'ignore' }).status === 0;
}

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
}

function nftTable(d: TestDaemon): string {
  const r = spawnSync('nft', ['list', 'table', 'ip', `berth_${d.bridgeName}`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** Whether the daemon's rules name interface `name` (the loopback guard names lo: left out). */
function rulesName(d: TestDaemon, name: string): boolean {
  return nftTable(d).replace(/\tchain localnet \{[^}]*\}/, '').includes(`"${name}"`);
}

/** The iptables-nft filter table, `-S` style. */
function iptablesRules(): string {
  const r = spawnSync('iptables-nft', ['-w', '-t', 'filter', '-S'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** Whether a chain jumped to from FORWARD accepts traffic in and out of `bridge`. */
function forwardAccepts(rules: string, bridge: string): boolean {
  const lines = rules.split('\n');
  const chains = lines.map((l) => /^-A FORWARD -j (\S+)$/.exec(l)?.[1]).filter((c): c is string => !!c);
  return chains.some((c) => lines.includes(`-A ${c} -i ${bridge} -j ACCEPT`) && lines.includes(`-A ${c} -o ${bridge} -j ACCEPT`));
}

/** Connections and datagrams a host server on addr:port saw (TCP and UDP on the same port). */
class HostListener {
  readonly connections: string[] = [];
  readonly datagrams: string[] = [];
  private readonly sockets = new Set<net.Socket>();
  private readonly tcp = net.createServer((s) => {
    this.connections.push(`${s.remoteAddress}:${s.remotePort}`);
    this.sockets.add(s);
    s.on('error', () => {});
    s.end('host-only\n');
  });
  private readonly udp = dgram.createSocket('udp4');

  constructor(
    readonly addr: string,
    readonly port: number,
  ) {
    this.udp.on('message', (m, r) => {
      this.datagrams.push(`${r.address}: ${m.toString()}`);
      this.udp.send('host-only', r.port, r.address);
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((r, j) => this.tcp.once('error', j).listen(this.port, this.addr, () => r()));
    await new Promise<void>((r, j) => this.udp.once('error', j).bind(this.port, this.addr, () => r()));
  }

  async close(): Promise<void> {
    // A connection from a container that is gone would keep close() waiting for minutes.
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.tcp.close(r));
    await new Promise<void>((r) => this.udp.close(() => r()));
  }
}

describe('the host\'s network stays the host\'s', () => {
  let d: TestDaemon;
  let neighbour: RemoteHost;
  let gateway: string;
  /** Whether this suite made the iptables filter table (removed afterwards when nothing else uses it). */
  let madeFilterTable = false;
  const { run, ok, inspect } = cliSession('berth', () => d);
  const perl = hostBinary('/usr/bin/perl');
  /**
   * Runs the raw-frame script in a fresh container with default capabilities,
   * on the default bridge or on a user network (`on`), frames addressed to the bridge's MAC.
   * The container pings its gateway first: the host then knows its MAC and
   * can answer even from 127.0.0.1 (its own ARP requests from 127.0.0.1 go unanswered).
   */
  const rawSend = async (mode: 'syn' | 'udp', dst: string, port: number, on?: { network: string; bridge: string; gateway: string }) => {
    const name = `raw${randomBytes(3).toString('hex')}`;
    const id = await ok(['run', '-d', '--name', name, ...(on ? ['--network', on.network] : []), ...perl.mounts, 'busybox', 'sleep', '60']);
    try {
      const src = await inspect(id, '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}');
      const mac = sysfs(`/sys/class/net/${on?.bridge ?? d.bridgeName}/address`);
      await ok(['exec', id, 'ping', '-c1', '-W2', on?.gateway ?? gateway]);
      const r = await run(['exec', id, ...perl.argv, '-e', RAW_SEND_PL, mode, src, dst, String(port), mac, '3']);
      assert.equal(r.code, 0, `raw send failed: ${r.stderr}`);
      return r.stdout.trim();
    } finally {
      await run(['rm', '-f', id]);
    }
  };

  before(async () => {
    // The daemons install their FORWARD chains only where an iptables filter table exists.
    if (spawnSync('nft', ['list', 'table', 'ip', 'filter'], { stdio: 'ignore' }).status !== 0) {
      assert.equal(spawnSync('iptables-nft', ['-w', '-t', 'filter', '-P', 'FORWARD', 'ACCEPT']).status, 0);
      madeFilterTable = true;
    }
    d = await startDaemon();
    await loadBusybox(d);
    gateway = d.subnet.replace(/0\/24$/, '1');
    neighbour = new RemoteHost({ loopbackViaHost: true });
    neighbour.setup();
  });
  after(async () => {
    neighbour?.cleanup();
    await d?.cleanup();
    // Only an empty table with ACCEPT policies goes: anything else belongs to someone else by now.
    if (madeFilterTable && iptablesRules().split('\n').every((l) => l === '' || /^-P \S+ ACCEPT$/.test(l))) spawnSync('nft', ['delete', 'table', 'ip', 'filter']);
  });
  afterEach(async () => {
    const left = (await run(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
    if (left.length) await run(['rm', '-f', ...left]);
    await run(['network', 'prune', '-f']);
  });

  it('-p 127.0.0.1:H:C answers the host only: not a neighbour routing 127.0.0.1 to the host, not a container sending to 127.0.0.1 through its gateway', async () => {
    const base = await freePorts(2);
    const [local, any] = [base, base + 1];
    const srv = await ok(['run', '-d', '-p', `127.0.0.1:${local}:80`, '-p', `${any}:80`, ...httpd('pub')]);
    await until('the published port to answer on 127.0.0.1', async () => (await httpGet('127.0.0.1', local, 2000)) === 'pub', 10_000);
    // Controls: the neighbour reaches the host and the port published on every address.
    assert.equal(await neighbour.httpGet(neighbour.hostAddr, any), 'pub');
    // The attack: a packet to 127.0.0.1 arriving on the host's veth.
    await assert.rejects(neighbour.httpGet('127.0.0.1', local, 2000), /timeout|ECONNREFUSED/);
    // A container on the bridge: SYN to 127.0.0.1:local addressed to the gateway's MAC.
    assert.match(await rawSend('syn', gateway, any), new RegExp(`^SYN-ACK from ${gateway.replaceAll('.', '\\.')}:${any}$`), 'control: the same SYN to the gateway address is answered');
    assert.equal(await rawSend('syn', '127.0.0.1', local), 'no reply');
    // The host itself still gets in, through 127.0.0.1 and after all this.
    assert.equal(await httpGet('127.0.0.1', local), 'pub');
    await ok(['rm', '-f', srv]);
  });

  it('a container cannot reach the host\'s 127.0.0.1 services, not even with hand-built frames (default CAP_NET_RAW)', async () => {
    const port = await freePorts(1);
    const loopback = new HostListener('127.0.0.1', port);
    const control = new HostListener(gateway, port);
    await loopback.listen();
    await control.listen();
    try {
      // Controls: the same frames to the host's bridge address are answered and seen.
      assert.equal(await rawSend('syn', gateway, port), `SYN-ACK from ${gateway}:${port}`);
      assert.equal(await rawSend('udp', gateway, port), `reply from ${gateway}:${port}`);
      assert.equal(control.datagrams.length, 1, JSON.stringify(control.datagrams));
      assert.match(control.datagrams[0]!, /^(\d+\.){3}\d+: datagram from (\d+\.){3}\d+$/);
      // The attack, on the default bridge and on a user network.
      const subnet = freeSubnet();
      const user = await ok(['network', 'create', '--subnet', subnet, 'sec-user']);
      for (const on of [undefined, { network: 'sec-user', bridge: `br-${user.slice(0, 12)}`, gateway: subnet.replace(/0\/24$/, '1') }]) {
        const where = on?.network ?? 'bridge';
        assert.equal(await rawSend('syn', '127.0.0.1', port, on), 'no reply', `SYN to 127.0.0.1:${port} from a container on ${where}`);
        assert.equal(await rawSend('udp', '127.0.0.1', port, on), 'no reply', `datagram to 127.0.0.1:${port} from a container on ${where}`);
      }
      assert.deepEqual(loopback.connections, [], 'the host\'s 127.0.0.1 listener accepted a connection from a container');
      assert.deepEqual(loopback.datagrams, [], 'the host\'s 127.0.0.1 socket got a datagram from a container');
    } finally {
      await loopback.close();
      await control.close();
    }
  });

  it('com.docker.network.bridge.name cannot take an interface berth did not make; berth never changes, rewrites rules for or deletes one', async () => {
    const tag = randomBytes(3).toString('hex');
    const [veth, foreignBridge, taken, squat] = ['btfv', 'btfb', 'btft', 'btfs'].map((p) => `${p}${tag}`) as [string, string, string, string];
    const loBefore = ifaceState('lo');
    // Also when the test process is stopped mid-test (the finally below does not run then).
    const dropLinks = () => {
      for (const name of [veth, foreignBridge, squat]) spawnSync('ip', ['link', 'del', name], { stdio: 'ignore' });
    };
    process.once('exit', dropLinks);
    try {
      ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', `btfp${tag}`);
      ip('link', 'add', foreignBridge, 'type', 'bridge');
      for (const name of [veth, foreignBridge, 'lo']) {
        const before = ifaceState(name);
        const r = await run(['network', 'create', '--subnet', freeSubnet(), '-o', `com.docker.network.bridge.name=${name}`, `sec-${name}`]);
        assert.equal(r.code, 1, `network create on ${name} succeeded: ${r.stdout}`);
        assert.match(r.stderr, new RegExp(`^Error response from daemon: .*\\b${name}\\b.* is not a bridge this berth daemon created`));
        await assert.rejects(
          sdk(d).createNetwork({ Name: `sec-api-${name}`, Options: { 'com.docker.network.bridge.name': name } }),
          (e: { statusCode?: number }) => e.statusCode === 409,
        );
        assert.deepEqual(ifaceState(name), before, `${name} was changed`);
        assert.ok(!rulesName(d, name), `rules name ${name}`);
        assert.equal(await ok(['network', 'ls', '-q', '--filter', `name=sec-`]), '');
      }

      // A name one of berth's own networks uses: refused, and the failure does not delete that bridge.
      await ok(['network', 'create', '--subnet', freeSubnet(), '-o', `com.docker.network.bridge.name=${taken}`, 'sec-owner']);
      const dup = await run(['network', 'create', '--subnet', freeSubnet(), '-o', `com.docker.network.bridge.name=${taken}`, 'sec-dup']);
      assert.equal(dup.code, 1);
      assert.match(dup.stderr, new RegExp(`${taken}.*sec-owner`));
      assert.ok(linkExists(taken), 'a failed network create deleted the bridge of another network');
      assert.match(await ok(['run', '--rm', '--network', 'sec-owner', 'busybox', 'ip', '-o', 'addr', 'show', 'eth0']), /inet /);

      // The interface appears while berthd is down, in place of a network's bridge.
      await ok(['network', 'create', '--subnet', freeSubnet(), '-o', `com.docker.network.bridge.name=${squat}`, 'sec-squat']);
      await d.stop();
      assert.ok(!linkExists(squat), 'berthd left its unused bridge behind');
      ip('link', 'add', squat, 'type', 'veth', 'peer', 'name', `btfq${tag}`);
      const before = ifaceState(squat);
      await d.start();
      assert.deepEqual(ifaceState(squat), before, 'daemon start changed the interface');
      assert.ok(!rulesName(d, squat), 'rules name the foreign interface');
      const use = await run(['run', '--rm', '--network', 'sec-squat', 'busybox', 'true']);
      assert.notEqual(use.code, 0);
      assert.match(use.stderr, new RegExp(`sec-squat.*${squat}.* is not a bridge this berth daemon created`));
      await ok(['network', 'rm', 'sec-squat']);
      assert.deepEqual(ifaceState(squat), before, 'network rm changed or deleted the interface');
      await d.stop();
      assert.deepEqual(ifaceState(squat), before, 'daemon stop changed or deleted the interface');
      await d.start();

      // The daemon's own default bridge name: berthd refuses to start and touches nothing.
      const vethBefore = ifaceState(veth);
      const out = await berthdAlone(veth);
      assert.equal(out.code, 1, out.log);
      assert.match(out.log, new RegExp(`${veth}.* is not a bridge this berth daemon created`));
      assert.deepEqual(ifaceState(veth), vethBefore);
    } finally {
      process.off('exit', dropLinks);
      dropLinks();
      // Old code set sysctls of the host's loopback: put them back rather than leave the host changed.
      for (const key of ['route_localnet', 'forwarding', 'rp_filter', 'accept_local']) spawnSync('sysctl', ['-q', '-w', `net.ipv4.conf.lo.${key}=${loBefore[key]}`]);
    }
  });

  it('bridges carry the daemon\'s mark; one an earlier berth made (no mark, the gateway address) is claimed at start, containers and all', async () => {
    const marker = `berth:${readFileSync(join(d.root, 'engine-id'), 'utf8').trim()}`;
    assert.equal(sysfs(`/sys/class/net/${d.bridgeName}/ifalias`), marker);
    const port = await freePorts(1);
    const srv = await ok(['run', '-d', '-p', `${port}:80`, ...httpd('older')]);
    await until('the published port', async () => (await httpGet('127.0.0.1', port, 2000)) === 'older', 10_000);
    await d.stop(); // live restore: the container and the bridge stay
    ip('link', 'set', d.bridgeName, 'alias', '');
    assert.equal(sysfs(`/sys/class/net/${d.bridgeName}/ifalias`), '');
    await d.start();
    assert.equal(sysfs(`/sys/class/net/${d.bridgeName}/ifalias`), marker);
    assert.equal(await inspect(srv, '{{.State.Running}}'), 'true');
    assert.equal(await httpGet('127.0.0.1', port), 'older');
    await ok(['rm', '-f', srv]);
  });

  it('two daemons on one host: one\'s start, network changes, stop, restart and SIGKILL never remove the other\'s rules', async () => {
    const other = await startDaemon();
    try {
      await loadBusybox(other);
      const b = cliSession('berth', () => other);
      const pa = await freePorts(2);
      const pb = pa + 1;
      await ok(['run', '-d', '-p', `${pa}:80`, ...httpd('daemon-a')]);
      const bSrv = await b.ok(['run', '-d', '-p', `${pb}:80`, ...httpd('daemon-b')]);
      await until('both published ports', async () => (await httpGet('127.0.0.1', pa, 2000)) === 'daemon-a' && (await httpGet('127.0.0.1', pb, 2000)) === 'daemon-b', 10_000);
      const tableA = nftTable(d);
      assert.ok(forwardAccepts(iptablesRules(), d.bridgeName), `daemon A has no FORWARD accept rules:\n${iptablesRules()}`);
      assert.ok(forwardAccepts(iptablesRules(), other.bridgeName), `daemon B has no FORWARD accept rules:\n${iptablesRules()}`);
      const aIntact = async (when: string) => {
        assert.equal(nftTable(d), tableA, `${when}: daemon A's nft table changed`);
        const rules = iptablesRules();
        assert.ok(forwardAccepts(rules, d.bridgeName), `${when}: daemon A's bridge lost its FORWARD accept rules:\n${rules}`);
        assert.equal(await httpGet('127.0.0.1', pa), 'daemon-a', when);
        assert.equal(await neighbour.httpGet(neighbour.hostAddr, pa), 'daemon-a', when);
      };

      await b.ok(['network', 'create', '--subnet', freeSubnet(), 'b-net']);
      await aIntact('daemon B created a network');
      await b.ok(['network', 'rm', 'b-net']);
      await aIntact('daemon B removed a network');

      // Without containers, a stopping daemon removes its table and chain: only its own.
      await b.ok(['rm', '-f', bSrv]);
      await other.stop();
      await aIntact('daemon B stopped');
      assert.equal(spawnSync('nft', ['list', 'table', 'ip', `berth_${other.bridgeName}`], { stdio: 'ignore' }).status, 1, 'daemon B left its table');
      assert.ok(!iptablesRules().includes(other.bridgeName), `daemon B left its iptables rules:\n${iptablesRules()}`);

      await other.start();
      await aIntact('daemon B started again');
      assert.ok(forwardAccepts(iptablesRules(), other.bridgeName));
      await b.ok(['run', '-d', '-p', `${pb}:80`, ...httpd('daemon-b')]);
      await other.kill();
      await aIntact('daemon B killed');
      await other.start();
      await aIntact('daemon B restarted after SIGKILL');
      await until('daemon B\'s port after its restart', async () => (await httpGet('127.0.0.1', pb, 2000)) === 'daemon-b', 10_000);
    } finally {
      await other.cleanup();
    }
    assert.ok(forwardAccepts(iptablesRules(), d.bridgeName), `removing daemon B removed daemon A's FORWARD rules:\n${iptablesRules()}`);
  });
});

/** Runs berthd on a root of its own with `--bridge-name bridge`; what it printed and its exit code (stopped after 15 s). */
async function berthdAlone(bridge: string): Promise<{ code: number | null; log: string }> {
  const base = `/tmp/berth-test-${process.pid}-alone-${randomBytes(3).toString('hex')}`;
  mkdirSync(base, { recursive: true });
  const child = spawn(
    process.execPath,
    [join(REPO, 'dist/berthd.mjs'), '--root', join(base, 'root'), '--exec-root', join(base, 'run'), '--socket', join(base, 'berth.sock'), '--bridge-name', bridge, '--bridge-subnet', freeSubnet()],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stdout.on('data', (b: Buffer) => (log += b.toString()));
  child.stderr.on('data', (b: Buffer) => (log += b.toString()));
  try {
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        // Still running: it took the interface. Stop it (its cleanup is part of what the test checks).
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }, 15_000);
      child.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    return { code, log };
  } finally {
    spawnSync('nft', ['delete', 'table', 'ip', `berth_${bridge}`], { stdio: 'ignore' });
    rmSync(base, { recursive: true, force: true });
  }
}

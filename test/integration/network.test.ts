/**
 * Networking end to end on the real kernel, through berth's CLI and the real
 * docker CLI (same scenarios), and through dockerode: addresses on the
 * default bridge, host ↔ container and container ↔ container traffic,
 * published ports (TCP, UDP, ranges, -P) from 127.0.0.1, from the host's other
 * addresses and from another host, hairpin, taken host ports, user networks
 * with their DNS server, isolation between networks, --internal, connect and
 * disconnect, --link, --network none/host/container:, the /etc files, and
 * cleanup of veths and nft rules after stop, rm, rm -f and a daemon killed
 * with SIGKILL. A last suite measures iperf3 throughput through a published
 * port vs the container address (printed, not asserted).
 *
 * Traffic stays on this machine: loopback, the test daemon's bridges, and a
 * "remote host" made here (a network namespace with a veth to the host, on a
 * /24 of its own), removed afterwards even when a test fails. No test looks
 * up a name the daemon would forward to the host's resolvers: names are
 * asked only where berth answers them itself (or refuses), and containers on
 * the default bridge that resolve link aliases get `--dns 127.0.0.1`.
 *
 * Servers in containers are busybox httpd; UDP is served by the host's node
 * binary (busybox nc has no -u) and iperf3 by the host's iperf3, both
 * bind-mounted read-only with their shared libraries and started through
 * their dynamic loader.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import dgram from 'node:dgram';
import { after, afterEach, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../harness/daemon.js';
import { cli, runCmd, sdk, type CliName, cliSession } from '../harness/clients.js';
import { loadBusybox } from '../harness/fixtures.js';
import { freePorts, freeSubnet, hostBinary, httpd, httpGet, RemoteHost } from '../harness/net.js';
import { until, pidAlive } from '../harness/wait.js';

const ID64 = /^[0-9a-f]{64}$/;

// ----------------------------------------------------------------- host side helpers

/** Sends `msg` by UDP and waits for one answer (resent every 300 ms). */
function udpAsk(host: string, port: number, msg: string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const send = () => s.send(msg, port, host, () => {});
    const every = setInterval(send, 300);
    const timer = setTimeout(() => done(new Error(`no UDP answer from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    const done = (err: Error | undefined, v?: string) => {
      clearInterval(every);
      clearTimeout(timer);
      s.close();
      if (err) reject(err);
      else resolve(v!);
    };
    s.on('message', (m) => done(undefined, m.toString()));
    s.on('error', (e) => done(e));
    send();
  });
}

const UDP_ECHO_JS = `const s=require('dgram').createSocket('udp4');s.on('message',(m,r)=>s.send('echo:'+m,r.port,r.address));s.bind(+process.argv[1]);`;

/**
 * A shell prefix that stops before any name lookup unless resolv.conf names
 * `server` (a network's DNS server, which answers these names itself): a
 * regression must not send the query to the host's resolvers.
 */
function onlyVia(server: string): string {
  return `grep -qx "nameserver ${server}" /etc/resolv.conf || { echo "resolv.conf does not name ${server}:"; cat /etc/resolv.conf; exit 99; }; `;
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** Docker's MAC for an IPv4 address: 02:42 and the four octets. */
function macOf(ip: string): string {
  return ['02', '42', ...ip.split('.').map((o) => hex2(Number(o)))].join(':');
}

function bridgePorts(bridge: string): string[] {
  const out = spawnSync('ip', ['-o', 'link', 'show', 'master', bridge], { encoding: 'utf8' }).stdout ?? '';
  return [...out.matchAll(/^\d+: ([^:@]+)/gm)].map((m) => m[1]!);
}

function nftTable(d: TestDaemon): string {
  const r = spawnSync('nft', ['list', 'table', 'ip', `berth_${d.bridgeName}`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** The DNAT rules of the daemon's table, one line each. */
function dnatRules(d: TestDaemon): string[] {
  return nftTable(d)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.includes(' dnat to '));
}

function linkGone(name: string): boolean {
  return !existsSync(`/sys/class/net/${name}`);
}


// ----------------------------------------------------------------- the CLI suites

for (const client of ['berth', 'docker'] as CliName[]) {
  describe(`networking through the ${client} CLI`, () => {
    let d: TestDaemon;
    let remote: RemoteHost;
    /** First three octets of the default bridge's /24, with the dot. */
    let net24: string;
    let gateway: string;
    const { run, ok, inspect } = cliSession(client, () => d);
    const runD = async (args: string[]) => {
      const id = await ok(['run', '-d', ...args]);
      assert.match(id, ID64);
      return id;
    };
    const ipOf = (ref: string, network?: string) => inspect(ref, network ? `{{(index .NetworkSettings.Networks "${network}").IPAddress}}` : '{{.NetworkSettings.IPAddress}}');
    /** The host side of a container's eth0 (from its iflink). */
    const hostVeth = async (ref: string, ifname = 'eth0') => {
      const index = (await ok(['exec', ref, 'cat', `/sys/class/net/${ifname}/iflink`])).trim();
      const line = (spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout ?? '').split('\n').find((l) => l.startsWith(`${index}: `));
      assert.ok(line, `no host interface with index ${index}`);
      return /^\d+: ([^:@]+)/.exec(line)![1]!;
    };
    /** Waits for an HTTP server to answer `expected` from the host. */
    const reach = (host: string, port: number, expected: string) => until(`${host}:${port} to answer ${expected}`, async () => (await httpGet(host, port, 2000)) === expected, 10_000);
    const psPorts = async (id: string, which: CliName = client) => {
      const r = await cli(which, d, ['ps', '-a', '--filter', `id=${id}`, '--format', '{{.Ports}}']);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.trim();
    };
    /** A user network on a fresh /24; returns its name and gateway. */
    const createNetwork = async (name: string, extra: string[] = []) => {
      const subnet = freeSubnet();
      const id = await ok(['network', 'create', '--subnet', subnet, ...extra, name]);
      assert.match(id, ID64);
      return { name, id, subnet, gateway: subnet.replace(/0\/24$/, '1'), bridge: `br-${id.slice(0, 12)}` };
    };

    before(async () => {
      d = await startDaemon();
      await loadBusybox(d);
      net24 = d.subnet.replace(/0\/24$/, '');
      gateway = `${net24}1`;
      remote = new RemoteHost();
      remote.setup();
    });
    after(async () => {
      remote?.cleanup();
      await d?.cleanup();
    });
    // Each test starts from an empty daemon, even after a failure left containers or networks.
    afterEach(async () => {
      const left = (await run(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
      if (left.length) await run(['rm', '-f', ...left]);
      await run(['network', 'prune', '-f']);
    });

    it('default bridge: lowest free addresses from .2 in the daemon subnet, gateway .1, MAC from the IP', async () => {
      const first = await runD(['--name', 'addr1', 'busybox', 'sleep', '60']);
      const second = await runD(['--name', 'addr2', 'busybox', 'sleep', '60']);
      for (const [ref, n] of [[first, 2], [second, 3]] as const) {
        const ip = `${net24}${n}`;
        const addr = await ok(['exec', ref, 'ip', 'addr', 'show', 'eth0']);
        assert.match(addr, new RegExp(`inet ${ip.replaceAll('.', '\\.')}/24 `), addr);
        assert.match(addr, new RegExp(`link/ether ${macOf(ip)} `), addr);
        assert.match(await ok(['exec', ref, 'ip', 'route']), new RegExp(`^default via ${gateway.replaceAll('.', '\\.')} dev eth0 *$`, 'm'));
        assert.equal(await inspect(ref, '{{.NetworkSettings.IPAddress}} {{.NetworkSettings.Gateway}} {{.NetworkSettings.MacAddress}} {{.NetworkSettings.IPPrefixLen}}'), `${ip} ${gateway} ${macOf(ip)} 24`);
        assert.equal(await inspect(ref, '{{.NetworkSettings.Networks.bridge.IPAddress}}'), ip);
        // /etc/hosts names the container by its address.
        assert.match(await ok(['exec', ref, 'cat', '/etc/hosts']), new RegExp(`^${ip.replaceAll('.', '\\.')}\\t${first === ref ? first.slice(0, 12) : second.slice(0, 12)}$`, 'm'));
      }
      // Removing the first frees .2 for the next container.
      await ok(['rm', '-f', first]);
      const third = await runD(['busybox', 'sleep', '60']);
      assert.equal(await ipOf(third), `${net24}2`);
      const bridge = JSON.parse(await ok(['network', 'inspect', 'bridge'])) as { IPAM: { Config: { Subnet: string; Gateway: string }[] }; Containers: Record<string, { IPv4Address: string }> }[];
      assert.deepEqual(bridge[0]!.IPAM.Config, [{ Subnet: d.subnet, Gateway: gateway }]);
      assert.deepEqual(Object.values(bridge[0]!.Containers).map((c) => c.IPv4Address).sort(), [`${net24}2/24`, `${net24}3/24`]);
      await ok(['rm', '-f', second, third]);
    });

    it('the host reaches a container by its address, containers reach each other, outbound traffic is masqueraded', async () => {
      const srv = await runD(['--name', 'direct', ...httpd('direct')]);
      const ip = await ipOf(srv);
      await reach(ip, 80, 'direct');
      const peer = await run(['run', '--rm', 'busybox', 'sh', '-c', `timeout 5 wget -qO- http://${ip}/ && ping -c1 -W2 ${ip} >/dev/null && echo ping-ok`]);
      assert.equal(peer.code, 0, peer.stderr);
      assert.equal(peer.stdout, 'direct\nping-ok\n');
      // Out of the bridge to another host: it sees the host's address, not the container's.
      const port = await freePorts(1);
      await remote.whoamiServer(port);
      const out = await run(['run', '--rm', 'busybox', 'timeout', '5', 'wget', '-qO-', `http://${remote.addr}:${port}/`]);
      assert.equal(out.code, 0, out.stderr);
      assert.equal(out.stdout, remote.hostAddr);
      // Another host cannot route to a container's address (only published ports are reachable).
      await assert.rejects(remote.httpGet(ip, 80, 1500));
      await ok(['rm', '-f', srv]);
    });

    it('-p 127.0.0.1:H:C and -p H:C: from 127.0.0.1, from the host\'s other addresses and from another host', async () => {
      const base = await freePorts(2);
      const [local, any] = [base, base + 1];
      const srv = await runD(['--name', 'pub', '-p', `127.0.0.1:${local}:80`, '-p', `${any}:80`, ...httpd('pub')]);
      await reach('127.0.0.1', local, 'pub');
      await reach('127.0.0.1', any, 'pub');
      // The host's address on the bridge, and on the link to the remote host.
      assert.equal(await httpGet(gateway, any), 'pub');
      assert.equal(await httpGet(remote.hostAddr, any), 'pub');
      assert.equal(await remote.httpGet(remote.hostAddr, any), 'pub');
      // Bound to 127.0.0.1 only: nothing on the other addresses (the host port itself is not in use: refused).
      await assert.rejects(httpGet(gateway, local, 1500), /ECONNREFUSED/);
      await assert.rejects(remote.httpGet(remote.hostAddr, local, 1500), /ECONNREFUSED/);
      const ip = await ipOf(srv);
      assert.deepEqual(dnatRules(d).filter((r) => r.includes(ip)).sort(), [`ip daddr 127.0.0.1 tcp dport ${local} dnat to ${ip}:80`, `tcp dport ${any} dnat to ${ip}:80`]);
      assert.equal(await psPorts(srv), `0.0.0.0:${any}->80/tcp, 127.0.0.1:${local}->80/tcp`);
      await ok(['rm', '-f', srv]);
    });

    it('-p H:C/udp: datagrams from 127.0.0.1, the bridge address and another host reach the container and its answers come back', async () => {
      const port = await freePorts(1);
      const node = hostBinary(process.execPath);
      const srv = await runD(['--name', 'udp', '-p', `${port}:5000/udp`, ...node.mounts, 'busybox', ...node.argv, '-e', UDP_ECHO_JS, '5000']);
      assert.equal(await udpAsk('127.0.0.1', port, 'from-loopback', 8000), 'echo:from-loopback');
      assert.equal(await udpAsk(gateway, port, 'from-gateway'), 'echo:from-gateway');
      assert.equal(await remote.udpAsk(remote.hostAddr, port, 'from-remote'), 'echo:from-remote');
      // TCP on the same port is not published.
      await assert.rejects(httpGet('127.0.0.1', port, 1500), /ECONNREFUSED/);
      assert.equal(await psPorts(srv), `0.0.0.0:${port}->5000/udp`);
      await ok(['rm', '-f', srv]);
    });

    it('ranges -p A-B:C-D, a host range for one port, -P with --expose; the port command and the PORTS column', async () => {
      const r = await freePorts(6);
      const q = r + 3; // same port on both sides: docker groups these
      const rg = await runD(['--name', 'ranges', '-p', `${r}-${r + 2}:80-82`, '-p', `127.0.0.1:${q}:${q}/udp`, '--expose', '9000-9001', ...httpd('rg', [80, 81, 82])]);
      for (const [i, body] of ['rg', 'rg-81', 'rg-82'].entries()) await reach('127.0.0.1', r + i, body);
      const expected = `9000-9001/tcp, 127.0.0.1:${q}->${q}/udp, 0.0.0.0:${r}->80/tcp, 0.0.0.0:${r + 1}->81/tcp, 0.0.0.0:${r + 2}->82/tcp`;
      assert.equal(await psPorts(rg), expected);
      assert.equal(await psPorts(rg, client === 'berth' ? 'docker' : 'berth'), expected, 'berth and docker print PORTS differently');
      assert.equal(await ok(['port', 'ranges']), [`80/tcp -> 0.0.0.0:${r}`, `81/tcp -> 0.0.0.0:${r + 1}`, `82/tcp -> 0.0.0.0:${r + 2}`, `${q}/udp -> 127.0.0.1:${q}`].join('\n'));
      assert.equal(await ok(['port', 'ranges', '81']), `0.0.0.0:${r + 1}`);
      assert.equal(await ok(['port', 'ranges', `${q}/udp`]), `127.0.0.1:${q}`);
      const none = await run(['port', 'ranges', '9000']);
      assert.equal(none.code, 1);
      assert.match(none.stderr, /No public port '9000(\/tcp)?' published for ranges/);

      // A host range for one container port takes the first free one in it.
      const hr = await runD(['--name', 'hostrange', '-p', `${r}-${r + 5}:80`, ...httpd('hostrange')]);
      // (r..r+2 are taken on TCP; r+3 = q only on UDP)
      assert.equal(await ok(['port', 'hostrange', '80']), `0.0.0.0:${r + 3}`);
      await reach('127.0.0.1', r + 3, 'hostrange');

      // -P: every exposed port on a random host port in the ephemeral range.
      const all = await runD(['--name', 'puball', '--expose', '7000', '--expose', '7001/udp', '-P', ...httpd('puball', [7000])]);
      const lines = (await ok(['port', 'puball'])).split('\n');
      assert.equal(lines.length, 2, lines.join('\n'));
      const m0 = /^7000\/tcp -> 0\.0\.0\.0:(\d+)$/.exec(lines[0]!);
      const m1 = /^7001\/udp -> 0\.0\.0\.0:(\d+)$/.exec(lines[1]!);
      assert.ok(m0 && m1, lines.join('\n'));
      for (const p of [Number(m0[1]), Number(m1[1])]) assert.ok(p >= 32768 && p <= 60999, `random port ${p}`);
      await reach('127.0.0.1', Number(m0[1]), 'puball');
      assert.equal(await psPorts(all), `0.0.0.0:${m0[1]}->7000/tcp, 0.0.0.0:${m1[1]}->7001/udp`);
      // A stopped container shows no ports and has no rules.
      await ok(['stop', '-t', '1', all]);
      assert.equal(await psPorts(all), '');
      assert.ok(!dnatRules(d).some((l) => l.includes(`dport ${m0[1]} `)), 'a stopped container kept its rule');
      await ok(['rm', '-f', rg, hr, all]);
    });

    it('hairpin: a container reaches its own published port, and a neighbour\'s, through the host\'s addresses', async () => {
      const port = await freePorts(1);
      const srv = await runD(['--name', 'hairpin', '-p', `${port}:80`, ...httpd('hairpin')]);
      await reach('127.0.0.1', port, 'hairpin');
      for (const addr of [gateway, remote.hostAddr]) {
        assert.equal(await ok(['exec', srv, 'timeout', '5', 'wget', '-qO-', `http://${addr}:${port}/`]), 'hairpin');
        const r = await run(['run', '--rm', 'busybox', 'timeout', '5', 'wget', '-qO-', `http://${addr}:${port}/`]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, 'hairpin\n');
      }
      await ok(['rm', '-f', srv]);
    });

    it('a host port already taken (by a container, by a host process) fails the start and leaves nothing behind', async () => {
      const port = await freePorts(2);
      const owner = await runD(['--name', 'owner', '-p', `${port}:80`, ...httpd('owner')]);
      const rulesBefore = dnatRules(d);
      const portsBefore = bridgePorts(d.bridgeName);
      const dup = await run(['run', '-d', '--name', 'dup', '-p', `${port}:80`, 'busybox', 'sleep', '60']);
      assert.equal(dup.code, 125);
      assert.match(dup.stderr, new RegExp(`Bind for 0\\.0\\.0\\.0:${port} failed: port is already allocated`));
      assert.equal(await inspect('dup', '{{.State.Status}}/{{.State.Running}}/{{.NetworkSettings.IPAddress}}/'), 'created/false//');
      assert.deepEqual(dnatRules(d), rulesBefore);
      assert.deepEqual(bridgePorts(d.bridgeName), portsBefore);
      await reach('127.0.0.1', port, 'owner');

      // A host process listening on 127.0.0.1.
      const hostSrv = net.createServer((s) => s.end('host-process\n'));
      await new Promise<void>((r) => hostSrv.listen(port + 1, '127.0.0.1', () => r()));
      try {
        for (const spec of [`${port + 1}:80`, `127.0.0.1:${port + 1}:80`]) {
          const r = await run(['run', '-d', '-p', spec, 'busybox', 'sleep', '60']);
          assert.equal(r.code, 125, `-p ${spec} started: ${r.stdout}`);
          assert.match(r.stderr, new RegExp(`:${port + 1}( failed: port is already allocated|: bind: address already in use)`));
        }
        assert.deepEqual(dnatRules(d), rulesBefore);
        assert.deepEqual(bridgePorts(d.bridgeName), portsBefore);
        // The address a failed start had was released: the network lists only the owner.
        const bridge = JSON.parse(await ok(['network', 'inspect', 'bridge'])) as { Containers: Record<string, unknown> }[];
        assert.deepEqual(Object.keys(bridge[0]!.Containers), [owner]);
      } finally {
        await new Promise((r) => hostSrv.close(r));
      }
      // Once the port is free again the container starts.
      await ok(['rm', '-f', owner]);
      await ok(['start', 'dup']);
      assert.equal(await inspect('dup', '{{.State.Status}}'), 'running');
      assert.ok(dnatRules(d).some((l) => l.startsWith(`tcp dport ${port} dnat to `)));
      const leftovers = (await ok(['ps', '-aq', '--filter', 'status=created'])).split('\n').filter(Boolean);
      await ok(['rm', '-f', 'dup', ...leftovers]);
    });

    it('user network: names, aliases and short IDs resolve through the network\'s DNS server', async () => {
      // One network without --subnet: the daemon picks a free one.
      const auto = await ok(['network', 'create', 'autonet']);
      assert.match(auto, ID64);
      const autoSubnet = await ok(['network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}}{{end}}', 'autonet']);
      assert.match(autoSubnet, /^\d+\.\d+\.\d+\.\d+\/\d+$/);
      assert.match(await ok(['network', 'ls', '--filter', 'name=autonet']), new RegExp(`^NETWORK ID\\s+NAME\\s+DRIVER\\s+SCOPE\\n${auto.slice(0, 12)}\\s+autonet\\s+bridge\\s+local$`));
      await ok(['network', 'rm', 'autonet']);

      const un = await createNetwork('names');
      const target = await runD(['--name', 'target', '--network', un.name, '--network-alias', 'tgt-alias', ...httpd('target')]);
      const ip = await ipOf(target, un.name);
      assert.equal(ip, un.gateway.replace(/1$/, '2'));
      const short = target.slice(0, 12);
      const r = await run([
        'run', '--rm', '--network', un.name, 'busybox', 'sh', '-c',
        `cat /etc/resolv.conf; ${onlyVia(un.gateway)}for n in target tgt-alias ${short}; do nslookup $n | grep -A1 "^Name:"; ping -c1 -W2 $n | head -1; done; timeout 5 wget -qO- http://target/`,
      ]);
      assert.equal(r.code, 0, r.stderr + r.stdout);
      const out = r.stdout;
      assert.match(out, new RegExp(`^nameserver ${un.gateway.replaceAll('.', '\\.')}$`, 'm'));
      for (const n of ['target', 'tgt-alias', short]) {
        assert.ok(out.includes(`Name:\t${n}\nAddress: ${ip}\n`), `nslookup ${n}:\n${out}`);
        assert.ok(out.includes(`PING ${n} (${ip})`), `ping ${n}:\n${out}`);
      }
      assert.match(out, /target\n$/);
      assert.equal(await inspect(target, `{{json (index .NetworkSettings.Networks "${un.name}").Aliases}}`), '["tgt-alias"]');
      await ok(['rm', '-f', target]);
      await ok(['network', 'rm', un.name]);
    });

    it('isolation: no traffic and no names across networks', async () => {
      const a = await createNetwork('iso-a');
      const b = await createNetwork('iso-b');
      const inA = await runD(['--name', 'in-a', '--network', a.name, ...httpd('in-a')]);
      const inB = await runD(['--name', 'in-b', '--network', b.name, ...httpd('in-b')]);
      const onBridge = await runD(['--name', 'on-bridge', ...httpd('on-bridge')]);
      const ipA = await ipOf(inA, a.name);
      const ipB = await ipOf(inB, b.name);
      const ipBridge = await ipOf(onBridge);
      // Control: the host reaches all three, and a neighbour on network a reaches in-a by name.
      await reach(ipA, 80, 'in-a');
      await reach(ipB, 80, 'in-b');
      await reach(ipBridge, 80, 'on-bridge');
      assert.equal(await ok(['run', '--rm', '--network', a.name, 'busybox', 'sh', '-c', `${onlyVia(a.gateway)}timeout 5 wget -qO- http://in-a/`]), 'in-a');
      const probe = (network: string[], target: string) => run(['run', '--rm', ...network, 'busybox', 'sh', '-c', `timeout 3 wget -qO- http://${target}/ || echo unreachable`]);
      const pairs: [string[], string][] = [
        [['--network', b.name], ipA],
        [[], ipA],
        [['--network', a.name], ipB],
        [['--network', a.name], ipBridge],
      ];
      const results = await Promise.all(pairs.map(([from, to]) => probe(from, to)));
      for (const [i, r] of results.entries()) assert.equal(r.stdout.trim(), 'unreachable', `${pairs[i]![0].join(' ') || 'default bridge'} → ${pairs[i]![1]}: ${r.stdout}${r.stderr}`);
      // Names of network a: not known to network b's server, and a's server answers only its own network.
      const own = await run(['run', '--rm', '--network', a.name, 'busybox', 'nslookup', 'in-a', a.gateway]);
      assert.equal(own.code, 0, own.stdout + own.stderr);
      assert.ok(own.stdout.includes(`Address: ${ipA}`), own.stdout);
      for (const from of [['--network', b.name], ['--dns', '127.0.0.1']]) {
        const r = await run(['run', '--rm', ...from, 'busybox', 'nslookup', 'in-a', a.gateway]);
        assert.notEqual(r.code, 0, `${from.join(' ')} resolved a name of another network: ${r.stdout}`);
        assert.match(r.stdout + r.stderr, /REFUSED/);
        assert.ok(!r.stdout.includes(ipA));
      }
      const hostsB = await ok(['exec', inB, 'cat', '/etc/hosts']);
      assert.ok(!hostsB.includes('in-a'), hostsB);
      assert.equal(await ok(['exec', inB, 'cat', '/etc/resolv.conf']), `nameserver ${b.gateway}`);
      await ok(['rm', '-f', inA, inB, onBridge]);
      await ok(['network', 'rm', a.name, b.name]);
    });

    it('--internal: no route out, no published ports; containers inside still reach each other by name', async () => {
      const port = await freePorts(2);
      const inet = await createNetwork('internal-net', ['--internal']);
      assert.equal(await ok(['network', 'inspect', '-f', '{{.Internal}}', inet.name]), 'true');
      const srv = await runD(['--name', 'inside', '--network', inet.name, '-p', `${port}:80`, ...httpd('inside')]);
      const ip = await ipOf(srv, inet.name);
      // No DNAT for an internal network (as Docker); the host still reaches the address directly.
      assert.ok(!dnatRules(d).some((l) => l.includes(ip)), dnatRules(d).join('\n'));
      await assert.rejects(httpGet('127.0.0.1', port, 1500), /ECONNREFUSED/);
      await reach(ip, 80, 'inside');
      // A published port of a container on another network, and a remote whoami server: both out of reach.
      const outside = await runD(['--name', 'outside', '-p', `${port + 1}:80`, ...httpd('outside')]);
      await reach('127.0.0.1', port + 1, 'outside');
      await remote.whoamiServer(port);
      const r = await run([
        'run', '--rm', '--network', inet.name, 'busybox', 'sh', '-c',
        `ip route; ${onlyVia(inet.gateway)}timeout 5 wget -qO- http://inside/ ; echo; ping -c1 -W1 ${remote.addr} 2>&1 | tail -1; timeout 3 wget -qO- http://${remote.addr}:${port}/ || echo no-remote; timeout 3 wget -qO- http://${inet.gateway}:${port + 1}/ || echo no-publish`,
      ]);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.split('\n');
      assert.ok(!r.stdout.includes('default'), `an internal network has a default route:\n${r.stdout}`);
      assert.match(lines[0]!, new RegExp(`^${inet.subnet.replaceAll('.', '\\.')} dev eth0 scope link  src ${inet.gateway.replace(/1$/, '').replaceAll('.', '\\.')}\\d+ *$`));
      assert.ok(lines.includes('inside'), r.stdout);
      assert.match(r.stdout, /Network is unreachable|100% packet loss/);
      assert.ok(lines.includes('no-remote') && lines.includes('no-publish'), r.stdout);
      await ok(['rm', '-f', srv, outside]);
      await ok(['network', 'rm', inet.name]);
    });

    it('network connect and disconnect on a running container: interfaces, names and veths follow', async () => {
      const n1 = await createNetwork('conn-1');
      const n2 = await createNetwork('conn-2');
      const n3 = await createNetwork('conn-3');
      const c = await runD(['--name', 'mover', ...httpd('mover')]);
      assert.deepEqual(bridgePorts(n1.bridge), []);
      assert.equal(await ok(['network', 'connect', '--alias', 'mover-alias', n1.name, 'mover']), '');
      const ip1 = await ipOf(c, n1.name);
      assert.match(await ok(['exec', c, 'ip', '-o', '-4', 'addr', 'show', 'eth1']), new RegExp(`inet ${ip1.replaceAll('.', '\\.')}/24 `));
      assert.equal(bridgePorts(n1.bridge).length, 1);
      const byAlias = await run(['run', '--rm', '--network', n1.name, 'busybox', 'sh', '-c', `${onlyVia(n1.gateway)}nslookup mover-alias | grep -A1 "^Name:"; timeout 5 wget -qO- http://mover/`]);
      assert.equal(byAlias.code, 0, byAlias.stderr);
      assert.equal(byAlias.stdout, `Name:\tmover-alias\nAddress: ${ip1}\nmover\n`);

      await ok(['network', 'connect', n2.name, c]);
      assert.match(await ok(['exec', c, 'ip', '-o', '-4', 'addr', 'show', 'eth2']), new RegExp(`inet ${(await ipOf(c, n2.name)).replaceAll('.', '\\.')}/24 `));
      await ok(['network', 'disconnect', n1.name, c]);
      const gone = await run(['exec', c, 'ip', 'addr', 'show', 'eth1']);
      assert.notEqual(gone.code, 0, `eth1 is still there: ${gone.stdout}`);
      assert.deepEqual(bridgePorts(n1.bridge), []);
      assert.equal(await inspect(c, `{{if index .NetworkSettings.Networks "${n1.name}"}}still{{else}}gone{{end}}`), 'gone');
      const lost = await run(['run', '--rm', '--network', n1.name, 'busybox', 'sh', '-c', `timeout 3 wget -qO- http://${ip1}/ || echo unreachable`]);
      assert.equal(lost.stdout.trim(), 'unreachable');
      // eth1 is free again: the next network takes it (eth2 is still in use).
      await ok(['network', 'connect', n3.name, c]);
      const addrs = await ok(['exec', c, 'ip', '-o', '-4', 'addr']);
      assert.match(addrs, new RegExp(`eth1\\s+inet ${(await ipOf(c, n3.name)).replaceAll('.', '\\.')}/24 `), addrs);
      assert.match(addrs, new RegExp(`eth2\\s+inet ${(await ipOf(c, n2.name)).replaceAll('.', '\\.')}/24 `), addrs);
      const notConnected = await run(['network', 'disconnect', n1.name, c]);
      assert.notEqual(notConnected.code, 0);
      assert.match(notConnected.stderr, /is not connected to network/);
      await ok(['rm', '-f', c]);
      for (const n of [n1, n2, n3]) assert.deepEqual(bridgePorts(n.bridge), []);
      await ok(['network', 'rm', n1.name, n2.name, n3.name]);
    });

    it('--link name:alias: /etc/hosts and the legacy variables', async () => {
      const web = await runD(['--name', 'linked-web', '--expose', '8080', '--expose', '9090/udp', '-e', 'FOO=bar', ...httpd('linked', [8080])]);
      const ip = await ipOf(web);
      const r = await run(['run', '--rm', '--name', 'linker', '--link', 'linked-web:db', '--dns', '127.0.0.1', 'busybox', 'sh', '-c', 'cat /etc/hosts; env | grep ^DB_ | sort; timeout 5 wget -qO- http://db:8080/']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^${ip.replaceAll('.', '\\.')}\\tdb ${web.slice(0, 12)} linked-web$`, 'm'));
      const env = r.stdout.split('\n').filter((l) => l.startsWith('DB_'));
      assert.deepEqual(env, [
        'DB_ENV_FOO=bar',
        'DB_NAME=/linker/db',
        `DB_PORT=tcp://${ip}:8080`,
        `DB_PORT_8080_TCP=tcp://${ip}:8080`,
        `DB_PORT_8080_TCP_ADDR=${ip}`,
        'DB_PORT_8080_TCP_PORT=8080',
        'DB_PORT_8080_TCP_PROTO=tcp',
        `DB_PORT_9090_UDP=udp://${ip}:9090`,
        `DB_PORT_9090_UDP_ADDR=${ip}`,
        'DB_PORT_9090_UDP_PORT=9090',
        'DB_PORT_9090_UDP_PROTO=udp',
      ]);
      assert.match(r.stdout, /linked\n$/);
      // A link to a stopped container cannot start.
      await ok(['stop', '-t', '1', web]);
      const dead = await run(['run', '--rm', '--link', 'linked-web:db', 'busybox', 'true']);
      assert.notEqual(dead.code, 0);
      assert.match(dead.stderr, /Cannot link to a non running container/);
      await ok(['rm', '-f', web]);
    });

    it('--network none, host and container:<name>', async () => {
      const none = await run(['run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'ls /sys/class/net; ip route']);
      assert.equal(none.code, 0, none.stderr);
      assert.equal(none.stdout, 'lo\n');

      // host: the host's interfaces, among them this daemon's bridge with its gateway address.
      const host = await run(['run', '--rm', '--network', 'host', 'busybox', 'sh', '-c', `ip -o -4 addr show ${d.bridgeName}; ls /sys/class/net`]);
      assert.equal(host.code, 0, host.stderr);
      assert.match(host.stdout, new RegExp(`inet ${gateway.replaceAll('.', '\\.')}/24 `));
      assert.ok(host.stdout.split('\n').includes(remote.hostIf), host.stdout);
      const hostId = await runD(['--network', 'host', 'busybox', 'sleep', '60']);
      assert.equal(await inspect(hostId, '{{.HostConfig.NetworkMode}}/{{.NetworkSettings.IPAddress}}/'), 'host//');
      await ok(['rm', '-f', hostId]);

      // container:<name>: the same interfaces and address; its localhost is the other's.
      const un = await createNetwork('shared');
      const owner = await runD(['--name', 'ns-owner', '--network', un.name, ...httpd('ns-owner')]);
      const ip = await ipOf(owner, un.name);
      const ownerAddrs = await ok(['exec', owner, 'ip', '-o', '-4', 'addr']);
      const joined = await run(['run', '--rm', '--network', 'container:ns-owner', 'busybox', 'sh', '-c', `ip -o -4 addr; echo ---; timeout 5 wget -qO- http://127.0.0.1/; cat /etc/resolv.conf; ${onlyVia(un.gateway)}nslookup ns-owner | grep -A1 ^Name:`]);
      assert.equal(joined.code, 0, joined.stderr);
      const [addrs, rest] = joined.stdout.split('---\n');
      assert.equal(addrs!.trim(), ownerAddrs);
      assert.match(ownerAddrs, new RegExp(`eth0\\s+inet ${ip.replaceAll('.', '\\.')}/24 `));
      // It shares the other's resolv.conf, so the network's names resolve.
      assert.equal(rest, `ns-owner\nnameserver ${un.gateway}\nName:\tns-owner\nAddress: ${ip}\n`);
      await ok(['rm', '-f', owner]);
      await ok(['network', 'rm', un.name]);
    });

    it('--dns, --dns-search, --add-host, --hostname/--domainname, --mac-address, --ip', async () => {
      const un = await createNetwork('etcnet');
      const fixed = un.gateway.replace(/1$/, '50');
      const r = await run([
        'run', '--rm', '--network', un.name, '--ip', fixed, '--mac-address', '02:aa:bb:cc:dd:ee', '--add-host', 'extra.test:10.9.9.9',
        '--hostname', 'hname', '--domainname', 'dom.test', 'busybox', 'sh', '-c',
        'ip -o -4 addr show eth0; cat /sys/class/net/eth0/address; hostname; dnsdomainname; cat /etc/hosts /etc/resolv.conf',
      ]);
      assert.equal(r.code, 0, r.stderr);
      const out = r.stdout;
      assert.match(out, new RegExp(`eth0\\s+inet ${fixed.replaceAll('.', '\\.')}/24 `));
      assert.ok(out.includes('\n02:aa:bb:cc:dd:ee\nhname\ndom.test\n'), out);
      assert.match(out, /^10\.9\.9\.9\textra\.test$/m);
      assert.match(out, new RegExp(`^${fixed.replaceAll('.', '\\.')}\\thname\\.dom\\.test hname$`, 'm'));
      assert.match(out, new RegExp(`^nameserver ${un.gateway.replaceAll('.', '\\.')}$`, 'm'));

      // On the default bridge --dns replaces the host's resolvers.
      const dns = await run(['run', '--rm', '--dns', '10.1.2.3', '--dns', '10.1.2.4', '--dns-search', 'example.test', '--dns-option', 'ndots:2', 'busybox', 'cat', '/etc/resolv.conf']);
      assert.equal(dns.code, 0, dns.stderr);
      assert.equal(dns.stdout, 'nameserver 10.1.2.3\nnameserver 10.1.2.4\nsearch example.test\noptions ndots:2\n');
      const mac = await run(['run', '--rm', '--mac-address', '02:aa:bb:cc:dd:01', 'busybox', 'cat', '/sys/class/net/eth0/address']);
      assert.equal(mac.code, 0, mac.stderr);
      assert.equal(mac.stdout, '02:aa:bb:cc:dd:01\n');

      // --ip: only on user networks, inside their subnet, and not twice.
      const onBridge = await run(['run', '--rm', '--ip', `${net24}77`, 'busybox', 'true']);
      assert.equal(onBridge.code, 125);
      assert.match(onBridge.stderr, /user specified IP address is supported on user defined networks only/);
      const outside = await run(['run', '--rm', '--network', un.name, '--ip', '10.1.2.3', 'busybox', 'true']);
      assert.equal(outside.code, 125);
      assert.match(outside.stderr, /no configured subnet or ip-range contain the IP address 10\.1\.2\.3/);
      const holder = await runD(['--network', un.name, '--ip', fixed, 'busybox', 'sleep', '60']);
      const twice = await run(['run', '--rm', '--network', un.name, '--ip', fixed, 'busybox', 'true']);
      assert.notEqual(twice.code, 0);
      assert.match(twice.stderr, /already (in use|allocated)|Address already in use/i);
      await ok(['rm', '-f', holder]);
      await ok(['network', 'rm', un.name]);
    });

    it('--dns on a user network keeps container names resolvable (the servers become the upstream of the network\'s DNS server)', async () => {
      const un = await createNetwork('dnsnet');
      try {
        await runD(['--name', 'dns-target', '--network', un.name, 'busybox', 'sleep', '60']);
        // The --dns server is the remote host (nothing listens on 53 there: unknown names fail fast, nothing leaves this machine).
        const r = await run(['run', '--rm', '--network', un.name, '--dns', remote.addr, 'busybox', 'sh', '-c', 'cat /etc/resolv.conf; timeout 5 nslookup dns-target']);
        assert.match(r.stdout, new RegExp(`nameserver ${un.gateway.replaceAll('.', '\\.')}`));
        assert.equal(r.code, 0, r.stdout + r.stderr);
      } finally {
        await run(['rm', '-f', 'dns-target']);
        await run(['network', 'rm', un.name]);
      }
    });

    it('cleanup: stop, rm and rm -f remove the veth and the DNAT rules; start puts them back', async () => {
      const port = await freePorts(2);
      const a = await runD(['--name', 'clean-a', '-p', `${port}:80`, ...httpd('clean-a')]);
      let veth = await hostVeth(a);
      let ip = await ipOf(a);
      assert.ok(bridgePorts(d.bridgeName).includes(veth));
      assert.ok(dnatRules(d).includes(`tcp dport ${port} dnat to ${ip}:80`));
      await reach('127.0.0.1', port, 'clean-a');
      await ok(['stop', '-t', '1', a]);
      assert.ok(linkGone(veth), `${veth} survived stop`);
      assert.ok(!dnatRules(d).some((l) => l.includes(`dport ${port} `)), 'the rule survived stop');
      await assert.rejects(httpGet('127.0.0.1', port, 1500));

      await ok(['start', a]);
      veth = await hostVeth(a);
      ip = await ipOf(a);
      assert.ok(dnatRules(d).includes(`tcp dport ${port} dnat to ${ip}:80`));
      await reach('127.0.0.1', port, 'clean-a');
      // rm -f of a running container.
      await ok(['rm', '-f', a]);
      assert.ok(linkGone(veth), `${veth} survived rm -f`);
      assert.ok(!dnatRules(d).some((l) => l.includes(`dport ${port} `)), 'the rule survived rm -f');
      assert.ok(!spawnSync('ip', ['-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' }).stdout.includes(veth), 'a route still names the veth');

      // stop then rm.
      const b = await runD(['--name', 'clean-b', '-p', `${port + 1}:80`, ...httpd('clean-b')]);
      const vethB = await hostVeth(b);
      await ok(['stop', '-t', '1', b]);
      await ok(['rm', b]);
      assert.ok(linkGone(vethB));
      assert.deepEqual(dnatRules(d), []);
      assert.deepEqual(bridgePorts(d.bridgeName), []);
    });

    it('berthd killed with SIGKILL and restarted: published ports survive once, exits while it was down are cleaned up', async () => {
      const port = await freePorts(3);
      const un = await createNetwork('survivors');
      const keep = await runD(['--name', 'keep', '-p', `${port}:80`, '-p', `127.0.0.1:${port + 2}:80`, ...httpd('keep')]);
      const dies = await runD(['--name', 'dies', '-p', `${port + 1}:80`, ...httpd('dies')]);
      const named = await runD(['--name', 'named', '--network', un.name, '--network-alias', 'named-alias', 'busybox', 'sleep', '600']);
      await reach('127.0.0.1', port, 'keep');
      await reach('127.0.0.1', port + 1, 'dies');
      const keepIp = await ipOf(keep);
      const dieIp = await ipOf(dies);
      const namedIp = await ipOf(named, un.name);
      const vethKeep = await hostVeth(keep);
      const vethDies = await hostVeth(dies);
      const diesPid = Number(await inspect(dies, '{{.State.Pid}}'));
      const tableBefore = nftTable(d);

      await d.kill();
      process.kill(diesPid, 'SIGKILL');
      await until('the dying container to exit', () => !pidAlive(diesPid), 5000);
      // Published ports work without the daemon: they are kernel rules.
      assert.equal(await httpGet('127.0.0.1', port), 'keep');
      await d.start();

      assert.equal(await inspect(keep, '{{.State.Status}}'), 'running');
      assert.equal(await inspect(dies, '{{.State.Status}}'), 'exited');
      assert.equal(await ipOf(keep), keepIp);
      assert.equal(await httpGet('127.0.0.1', port), 'keep');
      assert.equal(await httpGet('127.0.0.1', port + 2), 'keep');
      assert.equal(await remote.httpGet(remote.hostAddr, port), 'keep');
      // The table is the one from before, less the dead container's rule: nothing duplicated.
      const expected = tableBefore.split('\n').filter((l) => !l.includes(`dnat to ${dieIp}:`));
      assert.deepEqual(nftTable(d).split('\n'), expected);
      assert.equal(dnatRules(d).filter((l) => l.includes(`dport ${port} `)).length, 1);
      assert.ok(linkGone(vethDies), `${vethDies} survived`);
      assert.ok(!linkGone(vethKeep));
      await assert.rejects(httpGet('127.0.0.1', port + 1, 1500));
      // The user network's DNS server is back, with the same address.
      assert.equal(await ipOf(named, un.name), namedIp);
      const r = await run(['run', '--rm', '--network', un.name, 'busybox', 'sh', '-c', `${onlyVia(un.gateway)}nslookup named-alias | grep -A1 ^Name:`]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `Name:\tnamed-alias\nAddress: ${namedIp}\n`);
      // A restarted container gets its port back, once.
      await ok(['start', dies]);
      await reach('127.0.0.1', port + 1, 'dies');
      assert.equal(dnatRules(d).filter((l) => l.includes(`dport ${port + 1} `)).length, 1);

      await ok(['rm', '-f', keep, dies, named]);
      assert.ok(linkGone(vethKeep));
      assert.deepEqual(dnatRules(d), []);
      assert.deepEqual(bridgePorts(d.bridgeName), []);
      assert.deepEqual(bridgePorts(un.bridge), []);
      await ok(['network', 'rm', un.name]);
    });

    it('network rm of a network in use is refused; network prune removes unused networks only', async () => {
      const used = await createNetwork('in-use');
      const spare1 = await createNetwork('spare-1');
      const spare2 = await createNetwork('spare-2', ['--label', 'keep=no']);
      const c = await runD(['--network', used.name, 'busybox', 'sleep', '60']);
      const rm = await run(['network', 'rm', used.name]);
      assert.equal(rm.code, 1);
      assert.match(rm.stderr, /error while removing network: network in-use .*has active endpoints/);
      assert.ok(!linkGone(used.bridge));
      const builtin = await run(['network', 'rm', 'bridge']);
      assert.notEqual(builtin.code, 0);
      assert.match(builtin.stderr, /bridge is a pre-defined network and cannot be removed/);

      const pruned = await ok(['network', 'prune', '-f']);
      const lines = pruned.split('\n');
      assert.equal(lines[0], 'Deleted Networks:');
      // (networks that failed tests left behind go too)
      assert.ok(lines.includes('spare-1') && lines.includes('spare-2') && !lines.includes('in-use'), pruned);
      assert.ok(linkGone(spare1.bridge) && linkGone(spare2.bridge), 'a pruned bridge is still there');
      const names = (await ok(['network', 'ls', '--format', '{{.Name}}'])).split('\n').sort();
      assert.deepEqual(names, ['bridge', 'host', 'in-use', 'none']);
      await ok(['rm', '-f', c]);
      await ok(['network', 'rm', used.name]);
      assert.ok(linkGone(used.bridge));
      assert.equal(await ok(['network', 'prune', '-f']), '');
    });
  });
}

// ----------------------------------------------------------------- dockerode

describe('networking through dockerode', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon();
    await loadBusybox(d);
  });
  after(async () => {
    await d?.cleanup();
  });

  it('creates a network and a container with an alias, a fixed address and a published port', async () => {
    const docker = sdk(d);
    const subnet = freeSubnet();
    const fixed = subnet.replace(/0\/24$/, '50');
    const port = await freePorts(1);
    const netw = await docker.createNetwork({ Name: 'sdknet', IPAM: { Config: [{ Subnet: subnet }] }, Labels: { purpose: 'test' } });
    const info = await netw.inspect();
    assert.deepEqual(info.IPAM?.Config, [{ Subnet: subnet, Gateway: subnet.replace(/0\/24$/, '1') }]);
    assert.deepEqual(info.Labels, { purpose: 'test' });
    const c = await docker.createContainer({
      Image: 'busybox',
      name: 'sdkweb',
      Cmd: httpd('sdkweb').slice(1),
      ExposedPorts: { '80/tcp': {} },
      HostConfig: { NetworkMode: 'sdknet', PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } },
      NetworkingConfig: { EndpointsConfig: { sdknet: { Aliases: ['sdk-alias'], IPAMConfig: { IPv4Address: fixed } } } },
    });
    await c.start();
    const ins = await c.inspect();
    assert.equal(ins.NetworkSettings.Networks.sdknet!.IPAddress, fixed);
    assert.equal(ins.NetworkSettings.Networks.sdknet!.MacAddress, macOf(fixed));
    assert.deepEqual(ins.NetworkSettings.Networks.sdknet!.Aliases, ['sdk-alias']);
    assert.deepEqual(ins.NetworkSettings.Ports, { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] });
    const listed = await docker.listContainers({ filters: { name: ['sdkweb'] } });
    assert.deepEqual(listed[0]!.Ports, [{ IP: '127.0.0.1', PrivatePort: 80, PublicPort: port, Type: 'tcp' }]);
    await until('the published port to answer', async () => (await httpGet('127.0.0.1', port, 2000)) === 'sdkweb');
    assert.equal(await httpGet(fixed, 80), 'sdkweb');

    const asker = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', `${onlyVia(info.IPAM!.Config![0]!.Gateway!)}nslookup sdk-alias | grep -q "Address: ${fixed}" && timeout 5 wget -qO- http://sdkweb/ | grep -qx sdkweb`], HostConfig: { NetworkMode: 'sdknet' } });
    const waited = asker.wait({ condition: 'next-exit' });
    await asker.start();
    assert.equal((await waited).StatusCode, 0);
    await asker.remove();
    await c.remove({ force: true });
    assert.deepEqual(dnatRules(d), []);
    await netw.remove();
  });

  it('connects and disconnects a running container; refuses to remove a network in use; prunes', async () => {
    const docker = sdk(d);
    const netw = await docker.createNetwork({ Name: 'sdkconn', IPAM: { Config: [{ Subnet: freeSubnet() }] } });
    const spare = await docker.createNetwork({ Name: 'sdkspare', IPAM: { Config: [{ Subnet: freeSubnet() }] } });
    const bridge = `br-${netw.id.slice(0, 12)}`;
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sleep', '60'] });
    await c.start();
    await netw.connect({ Container: c.id, EndpointConfig: { Aliases: ['late'] } });
    const ep = (await c.inspect()).NetworkSettings.Networks.sdkconn!;
    assert.match(ep.IPAddress, /^10\.\d+\.\d+\.2$/);
    assert.deepEqual(ep.Aliases, ['late']);
    assert.equal(bridgePorts(bridge).length, 1);
    const listed = (await netw.inspect()).Containers as Record<string, { IPv4Address: string }>;
    assert.deepEqual(Object.keys(listed), [c.id]);
    assert.equal(listed[c.id]!.IPv4Address, `${ep.IPAddress}/24`);
    await assert.rejects(netw.remove(), (e: { statusCode?: number; message?: string }) => e.statusCode === 403 && /has active endpoints/.test(e.message ?? ''));
    await netw.disconnect({ Container: c.id });
    assert.equal((await c.inspect()).NetworkSettings.Networks.sdkconn, undefined);
    assert.deepEqual(bridgePorts(bridge), []);
    const pruned = await docker.pruneNetworks();
    assert.deepEqual([...(pruned.NetworksDeleted ?? [])].sort(), ['sdkconn', 'sdkspare']);
    await assert.rejects(spare.inspect(), (e: { statusCode?: number }) => e.statusCode === 404);
    assert.ok(linkGone(bridge));
    await c.remove({ force: true });
  });

  it('a taken host port: start fails with the reason, the container stays created, nothing is left', async () => {
    const docker = sdk(d);
    const port = await freePorts(1);
    const spec = { Image: 'busybox', Cmd: ['sleep', '60'], ExposedPorts: { '80/tcp': {} }, HostConfig: { PortBindings: { '80/tcp': [{ HostPort: String(port) }] } } };
    const first = await docker.createContainer(spec);
    await first.start();
    const rules = dnatRules(d);
    const veths = bridgePorts(d.bridgeName);
    const second = await docker.createContainer(spec);
    await assert.rejects(second.start(), (e: { message?: string }) => new RegExp(`Bind for 0\\.0\\.0\\.0:${port} failed: port is already allocated`).test(e.message ?? ''));
    const st = (await second.inspect()).State;
    assert.equal(st.Status, 'created');
    assert.deepEqual(dnatRules(d), rules);
    assert.deepEqual(bridgePorts(d.bridgeName), veths);
    await first.remove({ force: true });
    await second.remove({ force: true });
  });
});

// ----------------------------------------------------------------- iperf3

describe('iperf3 host → container: published port on 127.0.0.1 vs the container address', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon();
    await loadBusybox(d);
  });
  after(async () => {
    await d?.cleanup();
  });

  it('measures TCP throughput (3 runs of 5 s each way, medians printed)', { skip: !existsSync('/usr/bin/iperf3') && 'iperf3 is not installed' }, async (t) => {
    const port = await freePorts(1);
    const iperf = hostBinary('/usr/bin/iperf3');
    const id = (await cli('berth', d, ['run', '-d', '-p', `127.0.0.1:${port}:5201`, ...iperf.mounts, 'busybox', ...iperf.argv, '-s', '-p', '5201'])).stdout.trim();
    assert.match(id, ID64);
    const ip = (await cli('berth', d, ['inspect', '-f', '{{.NetworkSettings.IPAddress}}', id])).stdout.trim();
    await until('the iperf3 server to listen', () => new Promise<boolean>((resolve) => {
      const s = net.connect(5201, ip, () => (s.destroy(), resolve(true)));
      s.on('error', () => resolve(false));
    }));
    const once = async (host: string, p: number): Promise<number> => {
      const r = await runCmd(['iperf3', '-c', host, '-p', String(p), '-t', '5', '-J'], { timeoutMs: 30_000 });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const bps = (JSON.parse(r.stdout) as { end: { sum_received: { bits_per_second: number } } }).end.sum_received.bits_per_second;
      assert.ok(bps > 0);
      return bps;
    };
    const published: number[] = [];
    const direct: number[] = [];
    for (let i = 0; i < 3; i++) {
      direct.push(await once(ip, 5201));
      published.push(await once('127.0.0.1', port));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1]!;
    const gbit = (bps: number) => `${(bps / 1e9).toFixed(2)} Gbit/s`;
    const line = `iperf3 direct ${direct.map(gbit).join(', ')} (median ${gbit(median(direct))}); published 127.0.0.1:${port} ${published.map(gbit).join(', ')} (median ${gbit(median(published))}); ratio ${((median(published) / median(direct)) * 100).toFixed(1)} %`;
    t.diagnostic(line);
    console.log(line);
    await cli('berth', d, ['rm', '-f', id]);
  });
});

/**
 * Networks and volumes as Docker clients expect them (what docker-py's suite
 * taught), through the real docker CLI and dockerode: the swarm endpoints of
 * a node outside any swarm, IPAM (ip-range, auxiliary addresses, one pool per
 * family, dual stack with on-link IPv6), network names Docker accepts, `null`
 * fields, links on user networks (legacy and per endpoint), several networks
 * at create, endpoint settings (MAC, link-local addresses, driver options),
 * bridge options honoured or refused, network events, prune filters, and
 * volume inspect fields.
 *
 * Traffic stays inside the test daemon's namespaces and bridges.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type Docker from 'dockerode';
import { startDaemon, type TestDaemon } from '../harness/daemon.js';
import { cliSession, sdk } from '../harness/clients.js';
import { loadBusybox } from '../harness/fixtures.js';
import { freeSubnet } from '../harness/net.js';

const ID64 = /^[0-9a-f]{64}$/;
const NOT_MANAGER = 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';

/** An HTTP call over the daemon's socket with the real status (dockerode hides it on success). */
async function call(d: TestDaemon, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const http = await import('node:http');
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({ socketPath: d.socket, method, path, headers: data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {} }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? (JSON.parse(text) as unknown) : undefined }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

describe('networks as Docker clients expect them', () => {
  let d: TestDaemon;
  let c: Docker;
  const { run, ok, inspect } = cliSession('docker', () => d);
  const net24 = (subnet: string) => subnet.replace(/0\/24$/, '');

  before(async () => {
    d = await startDaemon();
    await loadBusybox(d);
    c = sdk(d);
  });
  after(async () => {
    await d?.cleanup();
  });
  afterEach(async () => {
    const left = (await run(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
    if (left.length) await run(['rm', '-f', ...left]);
    await run(['network', 'prune', '-f']);
  });

  it('swarm endpoints answer 503 as a node outside any swarm does', async () => {
    for (const path of ['/swarm', '/nodes', '/nodes/x', '/services', '/services/x/logs', '/tasks', '/secrets', '/configs/y', '/swarm/unlockkey']) {
      const r = await call(d, 'GET', path);
      assert.equal(r.status, 503, path);
      assert.deepEqual(r.json, { message: NOT_MANAGER }, path);
    }
    const leave = await call(d, 'POST', '/v1.41/swarm/leave?force=1');
    assert.deepEqual([leave.status, leave.json], [503, { message: 'This node is not part of a swarm' }]);
    assert.equal((await call(d, 'POST', '/services/create', {})).status, 503);
    assert.equal((await call(d, 'DELETE', '/secrets/abc')).status, 503);
    const init = await call(d, 'POST', '/swarm/init', { ListenAddr: '127.0.0.1' });
    assert.equal(init.status, 503);
    assert.match((init.json as { message: string }).message, /berth does not support swarm mode/);
    // The docker CLI shows them as dockerd's.
    const r = await run(['swarm', 'leave', '--force']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /This node is not part of a swarm/);
    const ls = await run(['node', 'ls']);
    assert.equal(ls.code, 1);
    assert.match(ls.stderr, /This node is not a swarm manager/);
  });

  it('IPAM: ip-range, gateway and auxiliary addresses as given; aux addresses are never handed out', async () => {
    const subnet = freeSubnet();
    const n = net24(subnet);
    const id = await ok(['network', 'create', '--subnet', subnet, '--ip-range', `${n}0/28`, '--gateway', `${n}254`, '--aux-address', `a=${n}2`, '--aux-address', `b=${n}3`, 'ipam1']);
    assert.match(id, ID64);
    const ipam = JSON.parse(await ok(['network', 'inspect', '-f', '{{json .IPAM}}', 'ipam1'])) as unknown;
    assert.deepEqual(ipam, { Driver: 'default', Options: null, Config: [{ Subnet: subnet, IPRange: `${n}0/28`, Gateway: `${n}254`, AuxiliaryAddresses: { a: `${n}2`, b: `${n}3` } }] });
    // .1 is free (the gateway is .254), .2 and .3 are reserved.
    await ok(['run', '-d', '--name', 'r1', '--network', 'ipam1', 'busybox', 'sleep', '60']);
    await ok(['run', '-d', '--name', 'r2', '--network', 'ipam1', 'busybox', 'sleep', '60']);
    assert.equal(await inspect('r1', '{{.NetworkSettings.Networks.ipam1.IPAddress}} {{.NetworkSettings.Networks.ipam1.Gateway}}'), `${n}1 ${n}254`);
    assert.equal(await inspect('r2', '{{.NetworkSettings.Networks.ipam1.IPAddress}}'), `${n}4`);
    const taken = await run(['run', '-d', '--network', 'ipam1', '--ip', `${n}2`, 'busybox', 'sleep', '60']);
    assert.notEqual(taken.code, 0);
    assert.match(taken.stderr, /Address already in use/);
    // An aux address outside the subnet, and two pools of one family, are refused as Docker refuses them.
    // (the docker CLI checks this one itself: through the API)
    const outside = await call(d, 'POST', '/networks/create', { Name: 'ipam2', IPAM: { Config: [{ Subnet: freeSubnet(), AuxiliaryAddresses: { a: `${n}9` } }] } });
    assert.equal(outside.status, 403);
    assert.match((outside.json as { message: string }).message, /^auxiliary address: \(a:.*\) must belong to the master pool/);
    const two = await run(['network', 'create', '--subnet', freeSubnet(), '--subnet', freeSubnet(), 'ipam3']);
    assert.notEqual(two.code, 0);
    assert.match(two.stderr, /bridge driver doesn't support multiple subnets/);
    assert.equal((await run(['network', 'inspect', 'ipam2'])).code, 1, 'a refused create left a network');
  });

  it('dual stack: IPv6 addresses on the bridge and in containers, AAAA answers, inspect fields; on-link only', async () => {
    const subnet = freeSubnet();
    await ok(['network', 'create', '--ipv6', '--subnet', subnet, '--subnet', 'fd00:b3:7::/64', 'ds']);
    const net = JSON.parse(await ok(['network', 'inspect', 'ds'])) as { EnableIPv6: boolean; IPAM: { Config: { Subnet: string; Gateway: string }[] } }[];
    assert.equal(net[0]!.EnableIPv6, true);
    assert.deepEqual(net[0]!.IPAM.Config.map((x) => `${x.Subnet} ${x.Gateway}`), [`${subnet} ${net24(subnet)}1`, 'fd00:b3:7::/64 fd00:b3:7::1']);
    await ok(['run', '-d', '--name', 'six', '--network', 'name=ds,alias=sixer,ip6=fd00:b3:7::10', 'busybox', 'sleep', '60']);
    assert.equal(await inspect('six', '{{.NetworkSettings.Networks.ds.GlobalIPv6Address}}/{{.NetworkSettings.Networks.ds.GlobalIPv6PrefixLen}} {{.NetworkSettings.Networks.ds.IPv6Gateway}} {{.NetworkSettings.Networks.ds.IPAMConfig.IPv6Address}}'), 'fd00:b3:7::10/64 fd00:b3:7::1 fd00:b3:7::10');
    assert.match(await ok(['exec', 'six', 'ip', '-6', 'addr', 'show', 'eth0']), /inet6 fd00:b3:7::10\/64 scope global/);
    const peer = await ok(['run', '--rm', '--network', 'ds', 'busybox', 'sh', '-c', 'ping -6 -c1 -W3 sixer >/dev/null && echo by-name; ping -6 -c1 -W3 fd00:b3:7::1 >/dev/null && echo gateway; ip -6 addr show eth0']);
    assert.match(peer, /^by-name\ngateway\n/);
    assert.match(peer, /inet6 fd00:b3:7::2\/64/);
    const containers = JSON.parse(await ok(['network', 'inspect', '-f', '{{json .Containers}}', 'ds'])) as Record<string, { IPv6Address: string }>;
    assert.deepEqual(Object.values(containers).map((x) => x.IPv6Address), ['fd00:b3:7::10/64']);
    // --ipv6 without a subnet takes a unique local /64; an IPv6 subnet without --ipv6 is refused, not ignored.
    await ok(['network', 'create', '--ipv6', '--subnet', freeSubnet(), 'ula']);
    const ula = await ok(['network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}} {{end}}', 'ula']);
    assert.match(ula, /^10\.\S+ fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}::\/64$/);
    const no6 = await call(d, 'POST', '/networks/create', { Name: 'no6', IPAM: { Config: [{ Subnet: 'fd00:b3:8::/64' }] } });
    assert.equal(no6.status, 400);
    assert.match((no6.json as { message: string }).message, /EnableIPv6 is not set/);
    // The host does not route IPv6 between networks: a container elsewhere cannot reach the address.
    await ok(['network', 'create', '--ipv6', '--subnet', freeSubnet(), '--subnet', 'fd00:b3:9::/64', 'other6']);
    const cross = await run(['run', '--rm', '--network', 'other6', 'busybox', 'ping', '-6', '-c1', '-W2', 'fd00:b3:7::10']);
    assert.notEqual(cross.code, 0, 'IPv6 crossed from one network to another');
  });

  it('accepts network names Docker accepts (a space in the name)', async () => {
    assert.match(await ok(['network', 'create', 'test 01']), ID64);
    assert.equal(await ok(['network', 'inspect', '-f', '{{.Name}}', 'test 01']), 'test 01');
    await ok(['network', 'rm', 'test 01']);
  });

  it('reads null fields of network and volume bodies as unset (docker-compose sends IPRange: null)', async () => {
    const subnet = freeSubnet();
    const r = await call(d, 'POST', '/networks/create', { Name: 'nulls', Driver: null, Options: null, Labels: null, IPAM: { Driver: 'default', Options: null, Config: [{ Subnet: subnet, IPRange: null, Gateway: null, AuxiliaryAddresses: null }] } });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    assert.equal(await ok(['network', 'inspect', '-f', '{{json .IPAM.Config}}', 'nulls']), JSON.stringify([{ Subnet: subnet, Gateway: `${net24(subnet)}1` }]));
    const v = await call(d, 'POST', '/volumes/create', { Name: 'nullvol', Driver: null, DriverOpts: null, Labels: null });
    assert.equal(v.status, 201, JSON.stringify(v.json));
    await ok(['volume', 'rm', 'nullvol']);
  });

  it('links on a user network: the alias resolves for the linking container only, its target may come later', async () => {
    await ok(['network', 'create', '--subnet', freeSubnet(), 'ln']);
    // docker CLI 28 sends --link as the endpoint's Links (and HostConfig.Links).
    await ok(['run', '-d', '--name', 'linker', '--network', 'ln', '--link', 'upstream:bar', 'busybox', 'sleep', '60']);
    assert.equal(await inspect('linker', '{{json .NetworkSettings.Networks.ln.Links}}'), '["upstream:bar"]');
    await ok(['run', '-d', '--name', 'upstream', '--network', 'ln', 'busybox', 'sleep', '60']);
    const upIp = await inspect('upstream', '{{.NetworkSettings.Networks.ln.IPAddress}}');
    assert.match(await ok(['exec', 'linker', 'nslookup', 'bar']), new RegExp(`Address: ${upIp.replaceAll('.', '\\.')}`));
    const other = await run(['run', '--rm', '--network', 'ln', 'busybox', 'nslookup', 'bar']);
    assert.match(other.stdout + other.stderr, /NXDOMAIN|can't find|SERVFAIL/, 'a link alias resolved for another container');
    // Legacy HostConfig.Links alone (an API client such as docker-py) behave the same on a user network.
    const legacy = await c.createContainer({ Image: 'busybox', Cmd: ['sleep', '60'], HostConfig: { NetworkMode: 'ln', Links: ['upstream:baz'] } });
    await legacy.start();
    assert.match(await ok(['exec', legacy.id, 'nslookup', 'baz']), new RegExp(`Address: ${upIp.replaceAll('.', '\\.')}`));
    // And through network connect: a container resolves names on every network it is on.
    await ok(['network', 'create', '--subnet', freeSubnet(), 'ln2']);
    await ok(['network', 'connect', 'ln2', 'upstream']);
    await ok(['network', 'connect', '--link', 'upstream:qux', 'ln2', 'linker']);
    const up2 = await inspect('upstream', '{{.NetworkSettings.Networks.ln2.IPAddress}}');
    const qx = await run(['exec', 'linker', 'nslookup', 'qux']);
    assert.match(qx.stdout, new RegExp(`Address: ${up2.replaceAll('.', '\\.')}`), qx.stdout + qx.stderr + await ok(['exec', 'linker', 'cat', '/etc/resolv.conf']) + await ok(['exec', 'linker', 'ip', '-4', 'addr']));
  });

  it('docker rm --link removes a legacy link of the default bridge; both containers stay', async () => {
    await ok(['run', '-d', '--name', 'lk-target', 'busybox', 'sleep', '60']);
    await ok(['create', '--name', 'lk-parent', '--link', 'lk-target:mylink', 'busybox', 'sleep', '60']);
    assert.equal(await inspect('lk-parent', '{{json .HostConfig.Links}}'), '["lk-target:mylink"]');
    assert.equal(await ok(['rm', '--link', 'lk-parent/mylink']), 'lk-parent/mylink');
    assert.equal(await inspect('lk-parent', '{{json .HostConfig.Links}}'), 'null');
    assert.equal((await ok(['ps', '-aq', '--filter', 'name=lk-'])).split('\n').length, 2);
    const again = await run(['rm', '--link', 'lk-parent/mylink']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /No such container: lk-parent\/mylink/);
  });

  it('several networks at create (docker run --network a --network b): both attached with their aliases and addresses', async () => {
    const [sa, sb] = [freeSubnet(), freeSubnet()];
    await ok(['network', 'create', '--subnet', sa, 'na']);
    await ok(['network', 'create', '--subnet', sb, 'nb']);
    await ok(['run', '-d', '--name', 'multi', '--network', `name=na,alias=in-a,ip=${net24(sa)}40`, '--network', `name=nb,alias=in-b,ip=${net24(sb)}41`, 'busybox', 'sleep', '60']);
    assert.equal(await inspect('multi', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}} {{end}}'), `na=${net24(sa)}40 nb=${net24(sb)}41`);
    const addrs = await ok(['exec', 'multi', 'ip', '-o', '-4', 'addr']);
    assert.match(addrs, new RegExp(`eth0 +inet ${net24(sa).replaceAll('.', '\\.')}40/24`));
    assert.match(addrs, new RegExp(`eth1 +inet ${net24(sb).replaceAll('.', '\\.')}41/24`));
    // Each alias answers on its own network only.
    assert.match(await ok(['run', '--rm', '--network', 'nb', 'busybox', 'nslookup', 'in-b']), new RegExp(`Address: ${net24(sb).replaceAll('.', '\\.')}41`));
    const wrong = await run(['run', '--rm', '--network', 'nb', 'busybox', 'nslookup', 'in-a']);
    assert.match(wrong.stdout + wrong.stderr, /NXDOMAIN|can't find|SERVFAIL/);
    // Restarted, it comes back on both.
    await ok(['restart', '-t', '0', 'multi']);
    assert.equal((await ok(['exec', 'multi', 'ip', '-o', '-4', 'addr'])).split('\n').filter((l) => / eth\d /.test(l)).length, 2);
    // Host or none with other networks is refused at create.
    const host = await run(['create', '--network', 'host', '--network', 'na', 'busybox']);
    assert.notEqual(host.code, 0);
    // The default route is always the network mode's: a gateway priority is refused, not ignored.
    const prio = await call(d, 'POST', '/containers/create', { Image: 'busybox', HostConfig: { NetworkMode: 'na' }, NetworkingConfig: { EndpointsConfig: { na: {}, nb: { GwPriority: 10 } } } });
    assert.equal(prio.status, 400);
    assert.match((prio.json as { message: string }).message, /GwPriority is not supported by berth/);
  });

  it('endpoint settings: MAC address on connect, link-local addresses, driver options kept; options berth cannot act on are refused', async () => {
    await ok(['network', 'create', '--subnet', freeSubnet(), 'ep']);
    const ctr = await c.createContainer({ Image: 'busybox', Cmd: ['sleep', '60'] });
    await c.getNetwork('ep').connect({ Container: ctr.id, EndpointConfig: { MacAddress: '02:42:ac:11:00:99' } });
    assert.equal(await inspect(ctr.id, '{{.NetworkSettings.Networks.ep.MacAddress}}'), '02:42:ac:11:00:99');
    await ctr.start();
    assert.match(await ok(['exec', ctr.id, 'ip', 'link', 'show', 'eth1']), /link\/ether 02:42:ac:11:00:99 /);
    await ok(['run', '-d', '--name', 'll', '--network', 'name=ep,link-local-ip=169.254.8.8,driver-opt=com.example.setting=on', 'busybox', 'sleep', '60']);
    assert.match(await ok(['exec', 'll', 'ip', '-4', 'addr', 'show', 'eth0']), /inet 169\.254\.8\.8\/16/);
    assert.equal(await inspect('ll', '{{json .NetworkSettings.Networks.ep.IPAMConfig.LinkLocalIPs}} {{json .NetworkSettings.Networks.ep.DriverOpts}}'), '["169.254.8.8"] {"com.example.setting":"on"}');
    const sysctls = await run(['run', '-d', '--network', 'name=ep,driver-opt=com.docker.network.endpoint.sysctls=net.ipv4.conf.IFNAME.log_martians=1', 'busybox', 'true']);
    assert.notEqual(sysctls.code, 0);
    assert.match(sysctls.stderr, /com\.docker\.network\.endpoint\.sysctls is not supported by berth/);
  });

  it('bridge options: mtu and masquerade honoured, unknown ones and swarm fields refused by name', async () => {
    await ok(['network', 'create', '--subnet', freeSubnet(), '-o', 'com.docker.network.driver.mtu=1400', 'mtu']);
    assert.match(await ok(['run', '--rm', '--network', 'mtu', 'busybox', 'ip', 'link', 'show', 'eth0']), /mtu 1400 /);
    const unknown = await run(['network', 'create', '-o', 'foo=bar', 'badopt']);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /network option foo is not supported by berth/);
    const scope = await run(['network', 'create', '--scope', 'swarm', 'badscope']);
    assert.notEqual(scope.code, 0);
    assert.match(scope.stderr, /needs swarm mode/);
    assert.equal((await run(['network', 'inspect', 'badopt'])).code, 1);
  });

  it('network events: create, connect, disconnect, destroy with name, type and container', async () => {
    const since = Math.floor(Date.now() / 1000);
    await ok(['network', 'create', '--subnet', freeSubnet(), 'ev']);
    const id = await ok(['run', '-d', '--network', 'ev', 'busybox', 'sleep', '60']);
    await ok(['network', 'create', '--subnet', freeSubnet(), 'ev2']);
    await ok(['network', 'connect', 'ev2', id]);
    await ok(['network', 'disconnect', 'ev2', id]);
    await ok(['rm', '-f', id]);
    await ok(['network', 'rm', 'ev', 'ev2']);
    const until = Math.floor(Date.now() / 1000) + 1;
    const out = await ok(['events', '--since', String(since), '--until', String(until), '--filter', 'type=network', '--filter', 'network=ev', '--filter', 'network=ev2', '--format', '{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.type}} {{.Actor.Attributes.container}}']);
    const short = out.split('\n').map((l) => l.replace(id, 'C'));
    assert.deepEqual(short, ['create ev bridge <no value>', 'connect ev bridge C', 'create ev2 bridge <no value>', 'connect ev2 bridge C', 'disconnect ev2 bridge C', 'disconnect ev bridge C', 'destroy ev bridge <no value>', 'destroy ev2 bridge <no value>']);
  });

  it('network prune keeps what label!=, label= and until say to keep', async () => {
    await ok(['network', 'create', '--label', 'keep', 'p-keep']);
    await ok(['network', 'create', '--label', 'tier=web', 'p-web']);
    await ok(['network', 'create', 'p-plain']);
    assert.equal(await ok(['network', 'prune', '-f', '--filter', 'label!=keep', '--filter', 'label=tier=web']), 'Deleted Networks:\np-web');
    assert.equal(await ok(['network', 'prune', '-f', '--filter', 'until=1h']), '');
    assert.equal(await ok(['network', 'prune', '-f', '--filter', 'label!=keep']), 'Deleted Networks:\np-plain');
    assert.equal(await ok(['network', 'ls', '-q', '--filter', 'name=p-keep']).then((x) => x.length > 0), true);
  });
});

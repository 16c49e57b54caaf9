/**
 * Network attach and its rollback, against the recording fake of the Host
 * seam (no root, no kernel): what a start does to the host (veths, addresses
 * inside the container's namespace, the firewall) and that a failure half-way
 * undoes all of it — addresses back to the pool, veths deleted, no endpoint
 * left, the firewall without the container's rules.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import { isKind } from '../errdefs/errdefs.js';
import { silentLogger } from '../util/log.js';
import { FakeHost } from '../../test/fakes/host.js';
import { NetworkService, type ContainerNetInfo } from './service.js';

const base = mkdtempSync(join(tmpdir(), 'berth-attach-'));
after(() => rmSync(base, { recursive: true, force: true }));
let seq = 0;

let host: FakeHost;
let net: NetworkService;
let root: string;

beforeEach(async () => {
  host = new FakeHost();
  root = join(base, `r${seq++}`);
  net = await NetworkService.open({ root, bridgeName: 'bfake0', bridgeSubnet: '10.99.0.0/24', table: 'berth_bfake0', forwardChain: 'BERTH-FWD-bfake0', owner: 'test' }, silentLogger, host);
  await net.start();
  host.calls.length = 0;
});

function container(id: string, over: Partial<ContainerNetInfo> = {}): ContainerNetInfo {
  return { id, name: id, hostname: id, networkMode: 'bridge', aliases: [], ipv4Address: '', macAddress: '', exposedPorts: [], portBindings: {}, publishAllPorts: false, links: [], dns: [], ...over };
}

const vethsTried = () => host.calls.filter((c) => c.startsWith('net.connectVeth ')).map((c) => /veth (veth\w+)/.exec(c)![1]!);
const vethsDeleted = () => host.calls.filter((c) => c.startsWith('net.deleteLinks ')).flatMap((c) => c.split(' ').slice(1));
const vethsLeft = () => [...host.links.keys()].filter((n) => n.startsWith('veth'));

describe('attach', () => {
  it('makes a veth on the bridge, addresses the container inside its namespace, and publishes its ports', async () => {
    const c = container('c1', { exposedPorts: ['80/tcp'], portBindings: { '80/tcp': [{ hostIp: '127.0.0.1', hostPort: '8080' }] } });
    await net.register(c);
    const [ep] = await net.attach(c, 4242);
    assert.equal(ep!.ip, '10.99.0.2');
    assert.deepEqual(ep!.publishes.map((p) => `${p.hostIp}:${p.hostPort}->${p.containerPort}/${p.proto}`), ['127.0.0.1:8080->80/tcp']);
    const [veth] = vethsTried();
    assert.ok(host.calls.includes(`net.connectVeth netns 4242 eth0 ${ep!.mac} 10.99.0.2/24 via 10.99.0.1 veth ${veth} master bfake0`), host.calls.join('\n'));
    assert.deepEqual(host.calls.filter((x) => /^net\.ipBatch|^processes\.run/.test(x)), [], 'a start spawned ip');
    assert.ok(host.calls.some((x) => x.startsWith('net.nftApply')), 'the firewall was not updated for the published port');
    await net.detach('c1');
    assert.deepEqual(vethsDeleted(), [veth]);
    assert.deepEqual(net.endpoints('c1'), []);
  });

  it('a failure inside the namespace undoes everything: addresses back, veths of every network deleted', async () => {
    const user = await net.create({ name: 'second', ipam: [{ subnet: '10.98.0.0/24' }] });
    const c = container('c2');
    await net.register(c);
    await net.connect(c, user.id, { aliases: [], ipv4Address: '', links: [] });
    host.failOn('net.connectVeth netns 77 eth1 ', new Error('netlink: add 10.98.0.2/24 to eth1: File exists (EEXIST)'));
    await assert.rejects(net.attach(c, 77), /File exists/);
    assert.deepEqual(net.endpoints('c2'), []);
    const tried = vethsTried();
    assert.equal(tried.length, 2);
    assert.deepEqual(vethsDeleted(), [tried[0]], 'the first endpoint\'s veth was not deleted');
    assert.deepEqual(vethsLeft(), [], 'a veth was left on the host');
    // The addresses went back to the pools: the next container gets the same ones.
    const again = container('c3');
    await net.register(again);
    await net.connect(again, user.id, { aliases: [], ipv4Address: '', links: [] });
    const eps = await net.attach(again, 78);
    assert.deepEqual(eps.map((e) => e.ip), ['10.99.0.2', '10.98.0.2']);
  });

  it('a host port already taken fails the attach with a Conflict and leaves nothing', async () => {
    host.takenPorts.add('tcp/0.0.0.0:8081');
    const c = container('c4', { exposedPorts: ['80/tcp'], portBindings: { '80/tcp': [{ hostIp: '', hostPort: '8081' }] } });
    await net.register(c);
    await assert.rejects(net.attach(c, 99), (e) => isKind(e, 'Conflict'));
    assert.deepEqual(net.endpoints('c4'), []);
    assert.deepEqual(vethsLeft(), []);
    assert.deepEqual(vethsDeleted(), vethsTried());
    const other = container('c5');
    await net.register(other);
    assert.equal((await net.attach(other, 100))[0]!.ip, '10.99.0.2', 'the address of the failed attach was not released');
  });

  it('never touches an interface it did not make: a foreign interface with the bridge name is refused', async () => {
    host.links.set('foreign0', { bridge: false, alias: '', ipv4: [] });
    await assert.rejects(net.create({ name: 'taken', options: { 'com.docker.network.bridge.name': 'foreign0' } }), (e) => isKind(e, 'Conflict'));
    assert.ok(!host.calls.some((x) => x.includes('foreign0') && !x.startsWith('net.linkInfo')), `the foreign interface was touched: ${host.calls.join('\n')}`);
  });

  it('writes its state behind attach and detach: flush() resolves once it is on disk; a failed write does not stop the next', async () => {
    const statePath = join(root, 'network', 'state.json');
    const onDisk = () => (JSON.parse(readFileSync(statePath, 'utf8')) as { endpoints: { containerId: string }[] }).endpoints.map((e) => e.containerId);
    const c = container('w1');
    await net.register(c);
    await net.attach(c, 500);
    await net.flush();
    assert.deepEqual(onDisk(), ['w1']);
    // A write that cannot happen (its directory is gone) fails flush(); the next change is written again.
    renameSync(join(root, 'network'), join(root, 'network.away'));
    await net.detach('w1');
    await assert.rejects(net.flush());
    renameSync(join(root, 'network.away'), join(root, 'network'));
    const d = container('w2');
    await net.register(d);
    await net.attach(d, 501);
    await net.flush();
    assert.deepEqual(onDisk(), ['w2']);
  });
});

describe('create and attach: IPAM, dual stack, several networks, events', () => {
  it('reserves auxiliary addresses and takes the gateway from the ip-range; refuses what Docker refuses, leaving no network', async () => {
    const n = await net.create({ name: 'aux', ipam: [{ subnet: '10.97.0.0/24', ipRange: '10.97.0.16/28', auxAddresses: { a: '10.97.0.17' } }] });
    // Docker's default IPAM takes the gateway as the range's first address.
    assert.equal(n.gateway, '10.97.0.16');
    const c = container('ca', { networkMode: 'aux' });
    await net.register(c);
    assert.deepEqual((await net.attach(c, 10)).map((e) => e.ip), ['10.97.0.18']);
    await assert.rejects(net.create({ name: 'aux2', ipam: [{ subnet: '10.96.0.0/24', auxAddresses: { a: '10.95.0.1' } }] }), /must belong to the master pool: 10\.96\.0\.0\/24/);
    await assert.rejects(net.create({ name: 'two', ipam: [{ subnet: '10.94.0.0/24' }, { subnet: '10.93.0.0/24' }] }), /bridge driver doesn't support multiple subnets/);
    await assert.rejects(net.create({ name: 'v6off', ipam: [{ subnet: 'fd00:9::/64' }] }), /EnableIPv6 is not set/);
    assert.deepEqual(net.list().map((x) => x.name).filter((x) => x !== 'bridge' && x !== 'host' && x !== 'none'), ['aux']);
  });

  it('dual stack: the bridge and the container get their IPv6 addresses, the primary network a default route for each family', async () => {
    host.sysctls.set('net/ipv6/conf/all/disable_ipv6', '1');
    await assert.rejects(net.create({ name: 'ds', enableIPv6: true }), /IPv6 is disabled on this host/);
    host.sysctls.set('net/ipv6/conf/all/disable_ipv6', '0');
    host.sysctls.set('net/ipv6/conf/all/forwarding', '1');
    await assert.rejects(net.create({ name: 'ds', enableIPv6: true }), /this host forwards IPv6/);
    host.sysctls.set('net/ipv6/conf/all/forwarding', '0');
    const n = await net.create({ name: 'ds', enableIPv6: true, ipam: [{ subnet: '10.92.0.0/24' }, { subnet: 'fd00:92::/64', gateway: 'fd00:92::ffff' }] });
    assert.deepEqual(n.ipv6, { subnet: 'fd00:92::/64', gateway: 'fd00:92::ffff', ipRange: '', auxAddresses: {} });
    assert.ok(host.calls.some((x) => x.includes(`addr add fd00:92::ffff/64 dev ${n.bridge} nodad`)), host.calls.join('\n'));
    const c = container('c6', { networkMode: 'ds', endpoints: [{ network: 'ds', aliases: [], ipv4Address: '', ipv6Address: 'fd00:92::10', linkLocalIps: ['169.254.8.8'], links: [], macAddress: '', driverOpts: {} }] });
    await net.register(c);
    const [ep] = await net.attach(c, 11);
    assert.deepEqual(ep!.ipv6, { ip: 'fd00:92::10', prefixLen: 64, gateway: 'fd00:92::ffff' });
    assert.ok(
      host.calls.some((x) => x.startsWith('net.connectVeth netns 11 eth0 ') && x.includes(' 10.92.0.2/24 via 10.92.0.1 ')) &&
        host.calls.includes('net.ipBatchInNetns 11 addr add 169.254.8.8/16 dev eth0; addr add fd00:92::10/64 dev eth0 nodad; route add default via fd00:92::ffff dev eth0'),
      host.calls.join('\n'),
    );
    await net.detach('c6');
    // The address went back: asking for it again works.
    await net.attach(c, 12);
  });

  it('several networks at create: one endpoint each, the first gives the default route; events for each', async () => {
    const events: string[] = [];
    const svc = await NetworkService.open({ root: join(base, `r${seq++}`), bridgeName: 'bfake1', bridgeSubnet: '10.91.0.0/24', table: 't', forwardChain: 'F', owner: 'test', onEvent: (a, _id, attrs) => events.push(`${a} ${attrs['name']} ${attrs['container'] ?? ''}`.trim()) }, silentLogger, host);
    await svc.start();
    await svc.create({ name: 'a', ipam: [{ subnet: '10.90.0.0/24' }] });
    await svc.create({ name: 'b', ipam: [{ subnet: '10.89.0.0/24' }] });
    const spec = (network: string, ip: string) => ({ network, aliases: [network + '-alias'], ipv4Address: ip, ipv6Address: '', linkLocalIps: [], links: [], macAddress: '', driverOpts: {} });
    const c = container('cm', { networkMode: 'a', endpoints: [spec('a', '10.90.0.9'), spec('b', '10.89.0.9')] });
    await svc.register(c);
    const eps = await svc.attach(c, 13);
    assert.deepEqual(eps.map((e) => `${e.ifname} ${e.ip} ${e.aliases.join()}`), ['eth0 10.90.0.9 a-alias', 'eth1 10.89.0.9 b-alias']);
    // The second network gives no default route.
    assert.ok(host.calls.some((x) => x.startsWith('net.connectVeth netns 13 eth1 ') && x.includes(' 10.89.0.9/24 veth ')), host.calls.join('\n'));
    await svc.detach('cm');
    await svc.remove('b', () => []);
    assert.deepEqual(events, ['create a', 'create b', 'connect a cm', 'connect b cm', 'disconnect a cm', 'disconnect b cm', 'destroy b']);
    await assert.rejects(svc.register(container('ch', { networkMode: 'host', endpoints: [spec('host', ''), spec('a', '')] })), /cannot be connected to any other network/);
  });
});

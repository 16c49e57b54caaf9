/**
 * sys/netlink against the kernel (as root): a bridge of this test's own on
 * the host and a process in a new network namespace stand in for a network
 * and a container. What `ip` shows afterwards is what a start used to
 * configure with `ip -batch` and `nsenter … ip -batch`.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { isKind } from '../errdefs/errdefs.js';
import { linkExists } from './ip.js';
import { connectVeth, deleteLinks, NetlinkError } from './netlink.js';

const isRoot = process.getuid?.() === 0;
const tag = randomBytes(3).toString('hex');
const BRIDGE = `btnl${tag}`;
const ip = (args: string[], pid?: number): unknown => JSON.parse(execFileSync(pid ? 'nsenter' : 'ip', pid ? ['-t', String(pid), '-n', 'ip', '-j', ...args] : ['-j', ...args]).toString() || '[]');

describe('sys/netlink', { skip: isRoot ? false : 'needs root' }, () => {
  let ctr: ChildProcess;
  before(async () => {
    execFileSync('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
    execFileSync('ip', ['addr', 'add', '10.251.7.1/24', 'dev', BRIDGE]);
    execFileSync('ip', ['link', 'set', BRIDGE, 'up']);
    ctr = spawn('unshare', ['-n', 'sleep', '300'], { stdio: 'ignore' });
    // unshare has made the namespace once it execs sleep.
    for (let i = 0; i < 100 && !readlinkSync(`/proc/${ctr.pid}/exe`).endsWith('/sleep'); i++) await new Promise((r) => setTimeout(r, 10));
  });
  after(() => {
    ctr?.kill('SIGKILL');
    execFileSync('ip', ['link', 'del', BRIDGE], { stdio: 'ignore' });
  });

  it('connectVeth: host end on the bridge (hairpin, up), peer addressed, up and routed inside; the daemon stays in its own namespace', async () => {
    const ownNs = readlinkSync('/proc/thread-self/ns/net');
    const veth = `vtnl${tag}a`;
    await connectVeth({ hostName: veth, bridge: BRIDGE, pid: ctr.pid!, ifname: 'eth0', mac: '02:42:0a:fb:07:02', address: '10.251.7.2', prefixLen: 24, gateway: '10.251.7.1' });
    assert.equal(readlinkSync('/proc/thread-self/ns/net'), ownNs);
    const [hostEnd] = ip(['link', 'show', 'dev', veth]) as { master?: string; flags: string[] }[];
    assert.equal(hostEnd!.master, BRIDGE);
    assert.ok(hostEnd!.flags.includes('UP'));
    assert.equal(readFileSync(`/sys/class/net/${veth}/brport/hairpin_mode`, 'utf8').trim(), '1');
    const [peer] = ip(['addr', 'show', 'dev', 'eth0'], ctr.pid) as { address: string; flags: string[]; addr_info: { family: string; local: string; prefixlen: number }[] }[];
    assert.equal(peer!.address, '02:42:0a:fb:07:02');
    assert.ok(peer!.flags.includes('UP'));
    assert.deepEqual(peer!.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`), ['10.251.7.2/24']);
    const routes = ip(['route', 'show', 'default'], ctr.pid) as { gateway: string; dev: string }[];
    assert.deepEqual(routes.map((r) => `${r.gateway} ${r.dev}`), ['10.251.7.1 eth0']);
    await deleteLinks([veth]);
    assert.equal(linkExists(veth), false);
    assert.deepEqual((ip(['link'], ctr.pid) as { ifname: string }[]).map((l) => l.ifname), ['lo'], 'its peer went with it');
  });

  it('a failure after the veth exists deletes it; a name in use is a Conflict; bad input is refused before the kernel', async () => {
    const veth = `vtnl${tag}b`;
    // A gateway outside the subnet: the route fails after the veth and the address were made.
    await assert.rejects(
      connectVeth({ hostName: veth, bridge: BRIDGE, pid: ctr.pid!, ifname: 'eth1', mac: '02:42:0a:fb:07:03', address: '10.251.7.3', prefixLen: 24, gateway: '10.252.0.1' }),
      (e: unknown) => e instanceof NetlinkError && e.code === 'ENETUNREACH' && /default route via 10\.252\.0\.1/.test(e.message),
    );
    assert.equal(linkExists(veth), false, 'the veth of the failed connect was left on the host');
    assert.deepEqual((ip(['link'], ctr.pid) as { ifname: string }[]).map((l) => l.ifname), ['lo'], 'its peer was left in the namespace');
    await assert.rejects(
      connectVeth({ hostName: BRIDGE, bridge: BRIDGE, pid: ctr.pid!, ifname: 'eth1', mac: '02:42:0a:fb:07:03', address: '10.251.7.3', prefixLen: 24 }),
      (e: unknown) => isKind(e, 'Conflict') && /File exists/.test((e as Error).message),
    );
    assert.equal(linkExists(BRIDGE), true, 'the existing interface was deleted');
    await assert.rejects(connectVeth({ hostName: 'a/b', bridge: BRIDGE, pid: ctr.pid!, ifname: 'eth1', mac: '02:42:0a:fb:07:03', address: '10.251.7.3', prefixLen: 24 }), (e: unknown) => isKind(e, 'InvalidParameter'));
    await assert.rejects(connectVeth({ hostName: veth, bridge: BRIDGE, pid: ctr.pid!, ifname: 'eth1', mac: 'nope', address: '10.251.7.3', prefixLen: 24 }), (e: unknown) => isKind(e, 'InvalidParameter'));
    assert.equal(linkExists(veth), false);
  });

  it('deleteLinks: absent interfaces are not an error', async () => {
    await deleteLinks([`vtnl${tag}z`]);
    await deleteLinks([]);
  });
});

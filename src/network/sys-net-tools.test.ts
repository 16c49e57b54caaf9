/**
 * sys/ip, sys/nft and sys/sysctl against the real tools, inside a network
 * namespace this test creates (the host is only read: routes, /sys, /proc).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { EngineError } from '../errdefs/errdefs.js';
import { IpBatchError, hostRoutes, ipBatch, linkExists, linkExistsInNetns } from '../sys/ip.js';
import { NftError, forwardHookChains, iptablesFilterRules, nftApply, nftDeleteTable, nftListTable } from '../sys/nft.js';
import { readSysctl, sysctlKeys, sysctlPath, writeSysctlsInNetns } from '../sys/sysctl.js';

const isRoot = process.getuid?.() === 0;
const NS = `btnet${randomBytes(3).toString('hex')}s`;
const nsRead = (path: string) => execFileSync('ip', ['netns', 'exec', NS, 'cat', path]).toString().trim();

describe('sys network tools', { skip: isRoot ? false : 'needs root' }, () => {
  before(async () => {
    await ipBatch([`netns add ${NS}`]);
  });
  after(() => {
    try {
      execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
    } catch {
      /* gone */
    }
  });

  it('ipBatch applies lines in one run and names the failing line', async () => {
    await ipBatch(['link set lo up', 'link add btb0 type bridge', 'link set btb0 up'], { netns: NS });
    assert.equal(await linkExistsInNetns(NS, 'btb0'), true);
    await assert.rejects(
      ipBatch(['link set btb0 down', 'link set btb0 up', 'link set btnope up'], { netns: NS }),
      (e: unknown) =>
        e instanceof IpBatchError &&
        e.kind === 'Internal' &&
        e.lineNumber === 3 &&
        e.line === 'link set btnope up' &&
        /Cannot find device "btnope"/.test(e.ipMessage) &&
        e.message.includes('"link set btnope up"'),
    );
    await assert.rejects(ipBatch(['link add btb0 type bridge'], { netns: NS }), (e: unknown) => e instanceof IpBatchError && e.kind === 'Conflict' && /File exists/.test(e.message));
    await assert.rejects(ipBatch(['link set lo up\nlink del btb0'], { netns: NS }), (e: unknown) => e instanceof EngineError && e.kind === 'InvalidParameter');
    await assert.rejects(ipBatch(['link show'], { netns: '../x' }), (e: unknown) => e instanceof EngineError && e.kind === 'InvalidParameter');
    await ipBatch([]); // nothing to do, nothing spawned
  });

  it('hostRoutes lists the IPv4 prefixes in use on the host, without default routes', () => {
    const routes = hostRoutes();
    assert.ok(routes.includes('127.0.0.0/8'), JSON.stringify(routes));
    assert.ok(routes.every((r) => /^\d+\.\d+\.\d+\.\d+\/([1-9]|[12]\d|3[0-2])$/.test(r)), JSON.stringify(routes));
  });

  it('linkExists reads /sys/class/net without spawning', () => {
    assert.equal(linkExists('lo'), true);
    assert.equal(linkExists('btnet-none'), false);
    assert.equal(linkExists('../../etc'), false);
  });

  it('sysctl: keys, host reads, writes inside a netns', async () => {
    assert.equal(sysctlPath('net.ipv4.ip_forward'), '/proc/sys/net/ipv4/ip_forward');
    assert.equal(sysctlPath(sysctlKeys.routeLocalnet('eth0.100')), '/proc/sys/net/ipv4/conf/eth0.100/route_localnet');
    assert.throws(() => sysctlPath('net/../../etc/passwd'), EngineError);
    assert.match(readSysctl('net.ipv4.ip_forward') ?? '', /^[01]$/);
    assert.equal(readSysctl('net.ipv4.no_such_key'), undefined);
    await ipBatch(['link add bt.b1 type bridge'], { netns: NS });
    await writeSysctlsInNetns({ netns: NS }, { [sysctlKeys.ipForward]: 1, [sysctlKeys.routeLocalnet('bt.b1')]: 1 });
    assert.equal(nsRead('/proc/sys/net/ipv4/ip_forward'), '1');
    assert.equal(nsRead('/proc/sys/net/ipv4/conf/bt.b1/route_localnet'), '1');
    await assert.rejects(writeSysctlsInNetns({ netns: NS }, { 'net.ipv4.no_such_key': 1 }), EngineError);
  });

  it('nft: apply, list, delete (tolerant), errors carry nft message', async () => {
    const opts = { netns: NS };
    assert.equal(await nftListTable('ip', 'btnet_t', opts), undefined);
    await nftDeleteTable('ip', 'btnet_t', opts);
    await nftApply('table ip btnet_t {\n\tchain c {\n\t\ttype filter hook forward priority 0; policy accept;\n\t}\n}\n', opts);
    assert.match((await nftListTable('ip', 'btnet_t', opts))!, /chain c/);
    const chains = await forwardHookChains(opts);
    assert.deepEqual(chains, [{ family: 'ip', table: 'btnet_t', chain: 'c', priority: 0, policy: 'accept' }]);
    assert.equal(await iptablesFilterRules('nft', opts), undefined, 'no iptables filter table: nothing to coexist with');
    assert.equal(await iptablesFilterRules('legacy', opts), undefined);
    await assert.rejects(nftApply('table ip btnet_t {\n\tchain c {\n\t\tnonsense here\n\t}\n}\n', opts), (e: unknown) => e instanceof NftError && /Error/.test(e.message));
    assert.match((await nftListTable('ip', 'btnet_t', opts))!, /chain c/, 'a failed script changes nothing');
    await nftDeleteTable('ip', 'btnet_t', opts);
    assert.equal(await nftListTable('ip', 'btnet_t', opts), undefined);
    await assert.rejects(nftDeleteTable('ip', 'bad name', opts), (e: unknown) => e instanceof EngineError && e.kind === 'InvalidParameter');
  });
});

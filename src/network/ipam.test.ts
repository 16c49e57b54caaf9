import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EngineError } from '../errdefs/errdefs.js';
import {
  AddressInUse,
  AddressOutOfRange,
  DEFAULT_ADDRESS_POOLS,
  Ipam,
  NoAvailableIPs,
  PoolNotFound,
  PoolOverlap,
  canonicalCidr,
  cidrContains,
  cidrOverlaps,
  cidrWithin,
  expandAddressPools,
  macFromIp,
  nextFreeSubnet,
  nextFreeSubnetFrom,
  parseCidr,
  type IpamState,
} from './ipam.js';

describe('CIDR helpers', () => {
  it('parses and canonicalises', () => {
    for (const [input, canon, network, broadcast, prefix] of [
      ['172.17.0.1/16', '172.17.0.0/16', '172.17.0.0', '172.17.255.255', 16],
      ['10.0.0.0/8', '10.0.0.0/8', '10.0.0.0', '10.255.255.255', 8],
      ['192.168.1.77/24', '192.168.1.0/24', '192.168.1.0', '192.168.1.255', 24],
      ['1.2.3.4', '1.2.3.4/32', '1.2.3.4', '1.2.3.4', 32],
      ['0.0.0.0/0', '0.0.0.0/0', '0.0.0.0', '255.255.255.255', 0],
      ['10.1.2.3/31', '10.1.2.2/31', '10.1.2.2', '10.1.2.3', 31],
    ] as const) {
      const c = parseCidr(input);
      assert.equal(c.toString(), canon, input);
      assert.equal(canonicalCidr(input), canon);
      assert.equal(c.network, network);
      assert.equal(c.broadcast, broadcast);
      assert.equal(c.prefix, prefix);
    }
    assert.equal(parseCidr('172.17.0.0/16').nth(1), '172.17.0.1');
    assert.equal(parseCidr('172.17.0.0/16').netmask, '255.255.0.0');
    assert.equal(parseCidr('172.17.0.0/16').size, 65536);
  });

  it('rejects malformed input with InvalidParameter', () => {
    for (const bad of ['', '1.2.3', '1.2.3.4/33', '256.1.1.1/8', '1.2.3.4/', 'a.b.c.d/8', '01.2.3.4/8', '1.2.3.4/-1', '::1/128']) {
      assert.throws(() => parseCidr(bad), (e: unknown) => e instanceof EngineError && e.kind === 'InvalidParameter', bad);
    }
    assert.throws(() => parseCidr('10.0.0.0/24').nth(256), EngineError);
  });

  it('contains, overlaps, within', () => {
    assert.equal(cidrContains('172.17.0.0/16', '172.17.255.254'), true);
    assert.equal(cidrContains('172.17.0.0/16', '172.18.0.1'), false);
    assert.equal(parseCidr('172.17.0.0/16').contains('172.17.3.0/24'), true);
    assert.equal(parseCidr('172.17.0.0/16').contains('not an ip'), false);
    assert.equal(cidrOverlaps('10.0.0.0/8', '10.200.0.0/16'), true);
    assert.equal(cidrOverlaps('10.200.0.0/16', '10.0.0.0/8'), true);
    assert.equal(cidrOverlaps('172.17.0.0/16', '172.18.0.0/16'), false);
    assert.equal(cidrOverlaps('192.168.0.0/20', '192.168.15.255/32'), true);
    assert.equal(cidrWithin('172.28.5.0/24', '172.28.0.0/16'), true);
    assert.equal(cidrWithin('172.28.0.0/16', '172.28.5.0/24'), false);
  });

  it('macFromIp is 02:42 + the address bytes (Docker)', () => {
    assert.equal(macFromIp('172.17.0.2'), '02:42:ac:11:00:02');
    assert.equal(macFromIp('10.255.0.1'), '02:42:0a:ff:00:01');
    assert.equal(macFromIp('192.168.16.130'), '02:42:c0:a8:10:82');
  });
});

describe('Ipam', () => {
  it('hands out the lowest free address first, skipping network, gateway and broadcast', () => {
    const ipam = new Ipam();
    const pool = ipam.requestPool('bridge', '172.17.0.0/16');
    assert.deepEqual(pool, { id: 'bridge', subnet: '172.17.0.0/16', gateway: '172.17.0.1' });
    assert.equal(ipam.requestAddress('bridge'), '172.17.0.2');
    assert.equal(ipam.requestAddress('bridge'), '172.17.0.3');
    assert.equal(ipam.requestAddress('bridge'), '172.17.0.4');
    ipam.releaseAddress('bridge', '172.17.0.3');
    assert.equal(ipam.requestAddress('bridge'), '172.17.0.3', 'a released address is reused, lowest first');
    assert.equal(ipam.requestAddress('bridge'), '172.17.0.5');
  });

  it('fills a small subnet exactly and then fails with NoAvailableIPs', () => {
    const ipam = new Ipam();
    ipam.requestPool('n', '10.9.0.0/29'); // .0 network, .1 gateway, .7 broadcast → .2–.6
    const got = Array.from({ length: 5 }, () => ipam.requestAddress('n'));
    assert.deepEqual(got, ['10.9.0.2', '10.9.0.3', '10.9.0.4', '10.9.0.5', '10.9.0.6']);
    assert.throws(
      () => ipam.requestAddress('n'),
      (e: unknown) =>
        e instanceof NoAvailableIPs && e.kind === 'Unavailable' && e.message === "no available IPv4 addresses on this network's address pools",
    );
    assert.equal(new NoAvailableIPs({ name: 'mynet', id: 'abc' }).message, "no available IPv4 addresses on this network's address pools: mynet (abc)");
  });

  it('honours an explicit gateway anywhere in the subnet', () => {
    const ipam = new Ipam();
    assert.equal(ipam.requestPool('n', '10.1.0.0/24', '10.1.0.254').gateway, '10.1.0.254');
    assert.equal(ipam.requestAddress('n'), '10.1.0.1');
    assert.throws(() => ipam.requestAddress('n', '10.1.0.254'), AddressInUse);
  });

  it('allocates inside the ip-range; the default gateway comes from the range; preferred may be anywhere in the subnet', () => {
    const ipam = new Ipam();
    const p = ipam.requestPool('n', '172.28.0.0/16', undefined, '172.28.5.0/24');
    assert.deepEqual(p, { id: 'n', subnet: '172.28.0.0/16', gateway: '172.28.5.0', ipRange: '172.28.5.0/24' });
    assert.equal(ipam.requestAddress('n'), '172.28.5.1');
    assert.equal(ipam.requestAddress('n', '172.28.9.9'), '172.28.9.9');
    const q = ipam.requestPool('m', '10.5.0.0/24', '10.5.0.1', '10.5.0.128/25');
    assert.equal(q.gateway, '10.5.0.1');
    assert.equal(ipam.requestAddress('m'), '10.5.0.128');
    // a range that starts at the subnet's network address skips it
    ipam.requestPool('k', '10.6.0.0/24', undefined, '10.6.0.0/28');
    assert.equal(ipam.pool('k')!.gateway, '10.6.0.1');
    assert.equal(ipam.requestAddress('k'), '10.6.0.2');
  });

  it('preferred addresses: exact, in use, reserved, out of range', () => {
    const ipam = new Ipam();
    ipam.requestPool('n', '172.20.0.0/16');
    assert.equal(ipam.requestAddress('n', '172.20.1.5'), '172.20.1.5');
    const inUse = (e: unknown) => e instanceof AddressInUse && e.kind === 'Forbidden' && e.message === 'Address already in use';
    assert.throws(() => ipam.requestAddress('n', '172.20.1.5'), inUse);
    assert.throws(() => ipam.requestAddress('n', '172.20.0.1'), inUse, 'gateway');
    assert.throws(() => ipam.requestAddress('n', '172.20.0.0'), inUse, 'network address');
    assert.throws(() => ipam.requestAddress('n', '172.20.255.255'), inUse, 'broadcast address');
    assert.throws(
      () => ipam.requestAddress('n', '172.21.0.5'),
      (e: unknown) => e instanceof AddressOutOfRange && e.kind === 'InvalidParameter' && e.message === 'requested address is out of range',
    );
    assert.throws(() => ipam.requestAddress('n', 'bogus'), (e: unknown) => e instanceof EngineError && e.kind === 'InvalidParameter');
    // automatic allocation goes around the preferred one
    assert.equal(ipam.requestAddress('n'), '172.20.0.2');
  });

  it('pools: overlap, idempotent re-request, conflicting re-request, unknown pool, release', () => {
    const ipam = new Ipam();
    ipam.requestPool('a', '172.17.0.0/16');
    ipam.requestAddress('a');
    assert.throws(
      () => ipam.requestPool('b', '172.17.5.0/24'),
      (e: unknown) => e instanceof PoolOverlap && e.message === 'Pool overlaps with other one on this address space',
    );
    assert.throws(() => ipam.requestPool('b', '172.0.0.0/8'), PoolOverlap);
    // same ID, same configuration: unchanged, allocations kept
    assert.deepEqual(ipam.requestPool('a', '172.17.0.1/16', '172.17.0.1'), { id: 'a', subnet: '172.17.0.0/16', gateway: '172.17.0.1' });
    assert.deepEqual(ipam.allocated('a'), ['172.17.0.2']);
    assert.throws(() => ipam.requestPool('a', '172.17.0.0/16', '172.17.0.254'), (e: unknown) => e instanceof EngineError && e.kind === 'Conflict');
    assert.throws(() => ipam.requestAddress('zz'), (e: unknown) => e instanceof PoolNotFound && e.kind === 'NotFound');
    assert.throws(() => ipam.requestPool('c', '10.0.0.0/24', '10.0.1.1'), /no matching subnet for gateway 10.0.1.1/);
    assert.throws(() => ipam.requestPool('c', '10.0.0.0/24', undefined, '10.0.1.0/25'), /no matching subnet for range 10.0.1.0\/25/);
    ipam.releasePool('a');
    assert.throws(() => ipam.releasePool('a'), PoolNotFound);
    assert.equal(ipam.requestPool('b', '172.17.5.0/24').subnet, '172.17.5.0/24', 'the subnet is free again');
  });

  it('releaseAddress: unknown addresses are ignored, outside the subnet is an error', () => {
    const ipam = new Ipam();
    ipam.requestPool('n', '10.2.0.0/24');
    ipam.releaseAddress('n', '10.2.0.77');
    ipam.releaseAddress('n', '10.2.0.1'); // the gateway stays reserved
    assert.equal(ipam.isAllocated('n', '10.2.0.1'), true);
    assert.equal(ipam.requestAddress('n'), '10.2.0.2');
    assert.throws(() => ipam.releaseAddress('n', '10.3.0.2'), AddressOutOfRange);
  });

  it('/31 and /32 pools use every address', () => {
    const ipam = new Ipam();
    ipam.requestPool('p31', '10.7.0.0/31');
    assert.equal(ipam.pool('p31')!.gateway, '10.7.0.0');
    assert.equal(ipam.requestAddress('p31'), '10.7.0.1');
    assert.throws(() => ipam.requestAddress('p31'), NoAvailableIPs);
    ipam.requestPool('p32', '10.8.0.9/32', '10.8.0.9');
    assert.throws(() => ipam.requestAddress('p32'), NoAvailableIPs);
  });

  it('serialises and restores its state (JSON round trip)', () => {
    const ipam = new Ipam();
    ipam.requestPool('net1', '172.17.0.0/16');
    ipam.requestPool('net2', '172.18.0.0/16', '172.18.0.254', '172.18.1.0/24');
    ipam.requestAddress('net1');
    ipam.requestAddress('net1');
    ipam.requestAddress('net1', '172.17.3.3');
    ipam.requestAddress('net2');
    const saved = JSON.parse(JSON.stringify(ipam)) as IpamState;
    assert.deepEqual(saved, {
      version: 1,
      pools: {
        net1: { subnet: '172.17.0.0/16', gateway: '172.17.0.1', allocated: ['172.17.0.2', '172.17.0.3', '172.17.3.3'] },
        net2: { subnet: '172.18.0.0/16', gateway: '172.18.0.254', ipRange: '172.18.1.0/24', allocated: ['172.18.1.0'] },
      },
    });
    const back = new Ipam(saved);
    assert.deepEqual(back.toJSON(), saved);
    assert.equal(back.requestAddress('net1'), '172.17.0.4');
    assert.throws(() => back.requestAddress('net1', '172.17.3.3'), AddressInUse);
    // the service re-requests restored pools at start-up
    back.requestPool('net2', '172.18.0.0/16', '172.18.0.254', '172.18.1.0/24');
    assert.deepEqual(back.allocated('net2'), ['172.18.1.0']);
    assert.deepEqual(new Ipam({ pools: {} }).pools(), []);
    assert.throws(() => new Ipam({ pools: null } as never), EngineError);
  });

  it('poolFor finds the pool of an address', () => {
    const ipam = new Ipam();
    ipam.requestPool('a', '172.17.0.0/16');
    ipam.requestPool('b', '172.18.0.0/16');
    assert.equal(ipam.poolFor('172.18.3.4')?.id, 'b');
    assert.equal(ipam.poolFor('10.0.0.1'), undefined);
  });
});

describe('subnet choice', () => {
  it('expands Docker default pools: 172.17–172.31 /16, then 192.168.x.0/20', () => {
    const all = [...expandAddressPools(DEFAULT_ADDRESS_POOLS)];
    assert.equal(all[0], '172.17.0.0/16');
    assert.equal(all[14], '172.31.0.0/16');
    assert.equal(all[15], '192.168.0.0/20');
    assert.equal(all[16], '192.168.16.0/20');
    assert.equal(all.at(-1), '192.168.240.0/20');
    assert.equal(all.length, 15 + 16);
  });

  it('nextFreeSubnet picks 172.17.0.0/16 or the next free one', () => {
    assert.equal(nextFreeSubnet([]), '172.17.0.0/16');
    assert.equal(nextFreeSubnet(['0.0.0.0/0', '192.0.2.0/24', '127.0.0.0/8', 'fe80::/64']), '172.17.0.0/16', 'default route and unrelated prefixes');
    assert.equal(nextFreeSubnet(['172.17.0.0/16']), '172.18.0.0/16', 'docker0 on the host');
    assert.equal(nextFreeSubnet(['172.17.0.0/16'], ['172.18.0.0/16', '172.19.0.0/16']), '172.20.0.0/16', 'routes + existing networks');
    assert.equal(nextFreeSubnet(['172.16.0.0/12']), '192.168.0.0/20', 'a VPN taking all of 172.16/12');
    assert.equal(nextFreeSubnet(['172.16.0.0/12', '192.168.0.10/32', '192.168.16.0/24']), '192.168.32.0/20');
    assert.equal(nextFreeSubnet(['172.16.0.0/12', '192.168.0.0/16']), undefined);
    assert.equal(nextFreeSubnetFrom(['10.10.0.0/24', '10.10.1.0/24'], ['10.10.0.0/24']), '10.10.1.0/24');
  });
});

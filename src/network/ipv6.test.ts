import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isKind } from '../errdefs/errdefs.js';
import { formatIpv6, parseCidr6, parseIpv6, Pool6 } from './ipv6.js';

describe('IPv6 text', () => {
  const canonical: [string, string][] = [
    ['2001:0389:0000:0000:0000:0000:0000:f00d', '2001:389::f00d'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['::', '::'],
    ['::1', '::1'],
    ['fe80::', 'fe80::'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['::ffff:10.1.2.3', '::ffff:a01:203'],
    ['FD00:DEAD:BEEF::10', 'fd00:dead:beef::10'],
  ];
  for (const [text, want] of canonical) {
    it(`${text} → ${want}`, () => assert.equal(formatIpv6(parseIpv6(text)), want));
  }
  it('refuses what is not an IPv6 address', () => {
    for (const bad of ['10.0.0.1', '2001:::1', 'fe80::1%eth0', '', 'g::1']) assert.throws(() => parseIpv6(bad), (e) => isKind(e, 'InvalidParameter'), bad);
  });
  it('prefixes: canonical form, containment, overlap', () => {
    const c = parseCidr6('2001:389::5/64');
    assert.equal(c.toString(), '2001:389::/64');
    assert.ok(c.contains(parseIpv6('2001:389::ffff:1')));
    assert.ok(!c.contains(parseIpv6('2001:389:0:1::1')));
    assert.ok(c.containsCidr(parseCidr6('2001:389::/96')));
    assert.ok(c.overlaps(parseCidr6('2001:389::/48')));
    assert.ok(!c.overlaps(parseCidr6('2001:38a::/64')));
    assert.throws(() => parseCidr6('2001:389::/129'), (e) => isKind(e, 'InvalidParameter'));
  });
});

describe('Pool6', () => {
  it('gateway first, then the lowest free addresses; the subnet address never', () => {
    const p = new Pool6('2001:389::/64');
    assert.equal(p.gatewayText, '2001:389::1');
    assert.equal(p.request(), '2001:389::2');
    assert.equal(p.request(), '2001:389::3');
    p.release('2001:389::2');
    assert.equal(p.request(), '2001:389::2');
  });
  it('a range and a given gateway, as docker-py creates them', () => {
    const p = new Pool6('2001:389::/64', '2001:389::ffff', '2001:389::0/96');
    assert.equal(p.gatewayText, '2001:389::ffff');
    assert.equal(p.request(), '2001:389::1');
    assert.equal(p.request('2001:389::f00d'), '2001:389::f00d');
    assert.throws(() => p.request('2001:389::f00d'), /Address already in use/);
    assert.throws(() => p.request('2001:389::ffff'), /Address already in use/);
    assert.throws(() => p.request('2001:38a::1'), /requested address is out of range/);
  });
  it('survives its JSON form', () => {
    const p = new Pool6('fd00:1::/64');
    p.request('fd00:1::9');
    const q = Pool6.restore(JSON.parse(JSON.stringify(p.toJSON())) as ReturnType<Pool6['toJSON']>);
    assert.throws(() => q.request('fd00:1::9'), /Address already in use/);
    assert.equal(q.request(), 'fd00:1::2');
  });
  it('refuses a range or gateway outside the subnet', () => {
    assert.throws(() => new Pool6('fd00:1::/64', undefined, 'fd00:2::/96'), /not in subnet/);
    assert.throws(() => new Pool6('fd00:1::/64', 'fd00:2::1'), /not in subnet/);
  });
});

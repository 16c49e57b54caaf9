import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EngineError } from '../errdefs/errdefs.js';
import {
  FORWARD_COMPAT_CHAIN,
  buildRuleset,
  forwardCompatChain,
  forwardCompatRemoval,
  forwardCompatRestore,
  parseIptablesRules,
  removeRulesetScript,
  type FirewallState,
} from './firewall.js';

const STATE: FirewallState = {
  table: 'berth',
  networks: [
    { bridge: 'berth0', subnet: '172.17.0.0/16', internal: false, masquerade: true },
    { bridge: 'br-0123456789ab', subnet: '172.18.0.0/16', internal: false, masquerade: true },
    { bridge: 'br-internal', subnet: '172.19.0.1/16', internal: true, masquerade: false },
    { bridge: 'br-nomasq', subnet: '10.20.0.0/24', internal: false, masquerade: false },
  ],
  publishes: [
    { containerIp: '172.17.0.2', bridge: 'berth0', proto: 'tcp', hostIp: '', hostPort: 8080, containerPort: 80 },
    { containerIp: '172.17.0.2', bridge: 'berth0', proto: 'udp', hostIp: '0.0.0.0', hostPort: 5353, containerPort: 53 },
    { containerIp: '172.18.0.2', bridge: 'br-0123456789ab', proto: 'tcp', hostIp: '127.0.0.1', hostPort: 5432, containerPort: 5432 },
    { containerIp: '172.18.0.3', bridge: 'br-0123456789ab', proto: 'tcp', hostIp: '::', hostPort: 5432, containerPort: 5432 },
    { containerIp: '172.19.0.2', bridge: 'br-internal', proto: 'tcp', hostIp: '', hostPort: 9000, containerPort: 9000 },
  ],
};

const GOLDEN = `table ip berth
flush table ip berth
table ip berth {
	chain localnet {
		type filter hook prerouting priority raw; policy accept;
		iifname != "lo" ip daddr 127.0.0.0/8 drop
		iifname != "lo" ip saddr 127.0.0.0/8 drop
	}
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		fib daddr type local jump publish
	}
	chain output {
		type nat hook output priority -100; policy accept;
		fib daddr type local jump publish
	}
	chain publish {
		ip daddr 127.0.0.1 tcp dport 5432 dnat to 172.18.0.2:5432
		tcp dport 8080 dnat to 172.17.0.2:80
		udp dport 5353 dnat to 172.17.0.2:53
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "berth0" ct status dnat fib saddr type local masquerade
		oifname "berth0" ip saddr 172.17.0.0/16 ct status dnat masquerade
		ip saddr 172.17.0.0/16 oifname != "berth0" masquerade
		oifname "br-0123456789ab" ct status dnat fib saddr type local masquerade
		oifname "br-0123456789ab" ip saddr 172.18.0.0/16 ct status dnat masquerade
		ip saddr 172.18.0.0/16 oifname != "br-0123456789ab" masquerade
		oifname "br-nomasq" ct status dnat fib saddr type local masquerade
		oifname "br-nomasq" ip saddr 10.20.0.0/24 ct status dnat masquerade
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		iifname "br-internal" oifname != "br-internal" drop
		oifname "br-internal" iifname != "br-internal" drop
		oifname { "berth0", "br-0123456789ab", "br-internal", "br-nomasq" } ct state established,related accept
		oifname { "berth0", "br-0123456789ab", "br-internal", "br-nomasq" } ct status dnat accept
		iifname "berth0" oifname "berth0" accept
		iifname "br-0123456789ab" oifname "br-0123456789ab" accept
		iifname "br-internal" oifname "br-internal" accept
		iifname "br-nomasq" oifname "br-nomasq" accept
		iifname { "berth0", "br-0123456789ab", "br-internal", "br-nomasq" } oifname { "berth0", "br-0123456789ab", "br-internal", "br-nomasq" } drop
		iifname { "berth0", "br-0123456789ab", "br-internal", "br-nomasq" } accept
		oifname { "berth0", "br-0123456789ab", "br-internal", "br-nomasq" } drop
	}
}
`;

describe('buildRuleset', () => {
  it('renders the full table (golden)', () => {
    assert.equal(buildRuleset(STATE), GOLDEN);
  });

  it('is deterministic', () => {
    assert.equal(buildRuleset(structuredClone(STATE)), buildRuleset(STATE));
  });

  it('recreate mode deletes and redefines the table in the same transaction', () => {
    const s = buildRuleset(STATE, { recreate: true });
    assert.ok(s.startsWith('table ip berth\ndelete table ip berth\ntable ip berth {\n'));
    assert.equal(s.split('\n').slice(2).join('\n'), GOLDEN.split('\n').slice(2).join('\n'));
  });

  it('an empty state still defines every chain (so later flushes keep the layout)', () => {
    assert.equal(
      buildRuleset({ table: 'berth_x', networks: [], publishes: [] }),
      `table ip berth_x
flush table ip berth_x
table ip berth_x {
	chain localnet {
		type filter hook prerouting priority raw; policy accept;
		iifname != "lo" ip daddr 127.0.0.0/8 drop
		iifname != "lo" ip saddr 127.0.0.0/8 drop
	}
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		fib daddr type local jump publish
	}
	chain output {
		type nat hook output priority -100; policy accept;
		fib daddr type local jump publish
	}
	chain publish {
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
	}
}
`,
    );
  });

  it('drops loopback addresses arriving from outside, before DNAT (CVE-2020-8558), whatever the state', () => {
    for (const state of [STATE, { table: 'berth', networks: [], publishes: [] }]) {
      const s = buildRuleset(state);
      const chain = /\tchain localnet \{\n([^}]*)\t\}/.exec(s)?.[1];
      assert.ok(chain, s);
      // Before conntrack (-200) and DNAT (-100): the raw priority.
      assert.match(chain, /type filter hook prerouting priority raw; policy accept;/);
      assert.match(chain, /\t\tiifname != "lo" ip daddr 127\.0\.0\.0\/8 drop\n/);
      assert.match(chain, /\t\tiifname != "lo" ip saddr 127\.0\.0\.0\/8 drop\n/);
    }
  });

  it('a single network: no isolation rule, single names without braces', () => {
    const s = buildRuleset({ table: 't', networks: [{ bridge: 'b0', subnet: '10.0.0.0/24', internal: false, masquerade: true }], publishes: [] });
    assert.match(s, /\t\toifname "b0" ct state established,related accept\n/);
    assert.doesNotMatch(s, /iifname "b0" oifname "b0" drop/);
  });

  it('rejects malformed state (nothing reaches nft unchecked)', () => {
    const bad: [string, FirewallState][] = [
      ['table name', { ...STATE, table: 'berth; flush ruleset' }],
      ['bridge name', { ...STATE, networks: [{ bridge: 'a"b', subnet: '10.0.0.0/8', internal: false, masquerade: true }], publishes: [] }],
      ['long bridge name', { ...STATE, networks: [{ bridge: 'x'.repeat(16), subnet: '10.0.0.0/8', internal: false, masquerade: true }], publishes: [] }],
      ['subnet', { ...STATE, networks: [{ bridge: 'b', subnet: '10.0.0.0/40', internal: false, masquerade: true }], publishes: [] }],
      ['unknown bridge', { ...STATE, publishes: [{ ...STATE.publishes[0]!, bridge: 'nope' }] }],
      ['port', { ...STATE, publishes: [{ ...STATE.publishes[0]!, hostPort: 0 }] }],
      ['port', { ...STATE, publishes: [{ ...STATE.publishes[0]!, containerPort: 70000 }] }],
      ['container ip', { ...STATE, publishes: [{ ...STATE.publishes[0]!, containerIp: '1.2.3' }] }],
      ['host ip', { ...STATE, publishes: [{ ...STATE.publishes[0]!, hostIp: 'localhost' }] }],
      ['proto', { ...STATE, publishes: [{ ...STATE.publishes[0]!, proto: 'sctp' as 'tcp' }] }],
      ['duplicate bridge', { ...STATE, networks: [STATE.networks[0]!, STATE.networks[0]!], publishes: [] }],
    ];
    for (const [what, state] of bad) {
      assert.throws(() => buildRuleset(state), (e: unknown) => e instanceof EngineError && e.kind === 'InvalidParameter', what);
    }
  });

  it('removeRulesetScript never fails on a missing table', () => {
    assert.equal(removeRulesetScript('berth'), 'table ip berth\ndelete table ip berth\n');
    assert.throws(() => removeRulesetScript('a b'), EngineError);
  });
});

describe('iptables FORWARD compatibility', () => {
  const dockerish = `-P INPUT ACCEPT
-P FORWARD DROP
-P OUTPUT ACCEPT
-N DOCKER
-N DOCKER-USER
-A FORWARD -j DOCKER-USER
-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A DOCKER-USER -j RETURN
`;

  it('parses iptables -S', () => {
    const info = parseIptablesRules(dockerish);
    assert.deepEqual(info.policies, { INPUT: 'ACCEPT', FORWARD: 'DROP', OUTPUT: 'ACCEPT' });
    assert.deepEqual(info.chains, ['DOCKER', 'DOCKER-USER']);
    assert.equal(info.rules.length, 3);
  });

  it('names one chain per daemon after its default bridge', () => {
    assert.equal(forwardCompatChain('berth0', 'berth0'), FORWARD_COMPAT_CHAIN);
    assert.equal(forwardCompatChain('bt1a2b3c', 'berth0'), 'BERTH-FWD-bt1a2b3c');
    assert.equal(forwardCompatChain('abcdefghijklmno', 'berth0').length, 25);
    assert.throws(() => forwardCompatChain('a b', 'berth0'), EngineError);
  });

  it('installs the chain and one jump at the top of FORWARD', () => {
    assert.equal(
      forwardCompatRestore(['berth0', 'br-1'], parseIptablesRules(dockerish), FORWARD_COMPAT_CHAIN),
      `*filter
:${FORWARD_COMPAT_CHAIN} - [0:0]
-A BERTH-FORWARD -i berth0 -j ACCEPT
-A BERTH-FORWARD -o berth0 -j ACCEPT
-A BERTH-FORWARD -i br-1 -j ACCEPT
-A BERTH-FORWARD -o br-1 -j ACCEPT
-I FORWARD 1 -j BERTH-FORWARD
COMMIT
`,
    );
  });

  it('does not add a second jump', () => {
    const installed = parseIptablesRules(dockerish + '-N BERTH-FORWARD\n-A FORWARD -j BERTH-FORWARD\n-A BERTH-FORWARD -i berth0 -j ACCEPT\n');
    assert.doesNotMatch(forwardCompatRestore(['berth0'], installed, FORWARD_COMPAT_CHAIN)!, /-I FORWARD/);
  });

  it('removes chain and jump when no bridge is left (nothing when absent)', () => {
    const installed = parseIptablesRules(dockerish + '-N BERTH-FORWARD\n-A FORWARD -j BERTH-FORWARD\n');
    const expected = '*filter\n-D FORWARD -j BERTH-FORWARD\n-F BERTH-FORWARD\n-X BERTH-FORWARD\nCOMMIT\n';
    assert.equal(forwardCompatRestore([], installed, FORWARD_COMPAT_CHAIN), expected);
    assert.equal(forwardCompatRemoval(installed, FORWARD_COMPAT_CHAIN), expected);
    assert.equal(forwardCompatRemoval(parseIptablesRules(dockerish), FORWARD_COMPAT_CHAIN), undefined);
  });

  it('two daemons: each one\'s sync and removal touch only its own chain and jump', () => {
    const both = parseIptablesRules(
      dockerish +
        '-N BERTH-FORWARD\n-N BERTH-FWD-bt1\n-A FORWARD -j BERTH-FWD-bt1\n-A FORWARD -j BERTH-FORWARD\n' +
        '-A BERTH-FORWARD -i berth0 -j ACCEPT\n-A BERTH-FORWARD -o berth0 -j ACCEPT\n-A BERTH-FWD-bt1 -i bt1 -j ACCEPT\n-A BERTH-FWD-bt1 -o bt1 -j ACCEPT\n',
    );
    assert.equal(forwardCompatRestore(['bt1', 'br-2'], both, 'BERTH-FWD-bt1'), '*filter\n:BERTH-FWD-bt1 - [0:0]\n-A BERTH-FWD-bt1 -i bt1 -j ACCEPT\n-A BERTH-FWD-bt1 -o bt1 -j ACCEPT\n-A BERTH-FWD-bt1 -i br-2 -j ACCEPT\n-A BERTH-FWD-bt1 -o br-2 -j ACCEPT\nCOMMIT\n');
    assert.equal(forwardCompatRemoval(both, 'BERTH-FWD-bt1'), '*filter\n-D FORWARD -j BERTH-FWD-bt1\n-F BERTH-FWD-bt1\n-X BERTH-FWD-bt1\nCOMMIT\n');
    assert.equal(forwardCompatRestore([], both, FORWARD_COMPAT_CHAIN), '*filter\n-D FORWARD -j BERTH-FORWARD\n-F BERTH-FORWARD\n-X BERTH-FORWARD\nCOMMIT\n');
  });

  it('rejects unsafe names', () => {
    assert.throws(() => forwardCompatRestore(['a b'], parseIptablesRules(''), FORWARD_COMPAT_CHAIN), EngineError);
    assert.throws(() => forwardCompatRestore(['b'], parseIptablesRules(''), 'X Y'), EngineError);
    assert.throws(() => forwardCompatRemoval(parseIptablesRules(''), 'X'.repeat(29)), EngineError);
  });
});

/**
 * berth's firewall (pure): the complete nftables script of berth's own table,
 * built from a state object, and the iptables rules that keep a foreign
 * FORWARD policy DROP (Docker's) from cutting berth's containers off.
 * Applying is done by the caller through sys/nft (`nftApply(buildRuleset(s))`,
 * one `nft -f -`, one atomic transaction).
 *
 * ## Table layout (`table ip <state.table>`, default "berth")
 *
 * ```
 * chain localnet     filter hook prerouting  priority raw (-300)     loopback addresses from outside → drop
 * chain prerouting   nat    hook prerouting  priority dstnat (-100)  fib daddr type local → jump publish
 * chain output       nat    hook output      priority -100           fib daddr type local → jump publish
 * chain publish      (regular) one DNAT rule per published port:
 *                    [ip daddr <hostIp>] <proto> dport <hostPort> dnat to <ctrIp>:<ctrPort>
 * chain postrouting  nat    hook postrouting priority srcnat (100)
 *                    per network: host-sourced DNATed traffic into the bridge (127.0.0.1 and the
 *                    host's own addresses) → masquerade; hairpin (a container reaching a published
 *                    port of its own network, itself included) → masquerade; traffic from the
 *                    subnet leaving through another interface → masquerade (unless masquerade=false)
 * chain forward      filter hook forward     priority filter (0), policy accept
 * ```
 *
 * Published ports are kernel DNAT (no userland proxy). "Any address"
 * publishes (hostIp '' or 0.0.0.0) match every local destination address;
 * others match exactly their host address (so 127.0.0.1:8080 is not reachable
 * on the host's other addresses). Locally generated traffic is DNATed in the
 * output hook; for 127.0.0.1 to leave through the bridge the bridge needs
 * `net.ipv4.conf.<bridge>.route_localnet=1` (sys/sysctl), and the masquerade
 * rewrites the 127.x source to the gateway address. Published ports of
 * internal networks are not installed (as Docker). IPv6 host addresses are
 * ignored (this table is IPv4).
 *
 * ## Loopback stays the host's (CVE-2020-8558)
 *
 * route_localnet makes the kernel accept 127.0.0.0/8 on a bridge, and DNAT
 * in prerouting runs before the kernel's own martian check anywhere. Without
 * a guard a container could reach every service the host binds to
 * 127.0.0.1 (frames to 127.0.0.1 sent to the gateway's MAC), and a
 * neighbour routing 127.0.0.1 to the host could reach ports published on
 * 127.0.0.1. So the `localnet` chain, before conntrack and DNAT, drops every
 * packet with a 127.0.0.0/8 destination or source that arrives on another
 * interface than lo. Host-originated 127.0.0.1 publishing is unaffected: it
 * is DNATed in the output hook, leaves the bridge masqueraded to the gateway
 * address, and its replies arrive addressed to the gateway (conntrack turns
 * that back into 127.0.0.1 only after this hook).
 *
 * Forward policy (only for packets to or from berth bridges; other traffic
 * is left alone):
 * 1. internal networks: nothing enters or leaves the bridge (drop);
 * 2. replies (established,related) into a bridge: accept;
 * 3. DNATed (published) connections into a bridge: accept, also from other
 *    berth networks (as with Docker's default userland proxy);
 * 4. traffic routed within one bridge (hairpin, br_netfilter): accept;
 * 5. between two different berth bridges: drop (network isolation);
 * 6. new connections out of a bridge: accept;
 * 7. anything else into a bridge (direct routing to container addresses): drop.
 *
 * ## Atomicity and idempotence
 *
 * The script is `table ip T` (creates it if missing, so the flush never
 * fails), `flush table ip T`, then the full definition: nft runs the file as
 * one transaction, so the ruleset switches from old to new at once, and
 * applying it twice gives the same table. The base chains stay registered
 * across a flush. A flush cannot change a base chain's hook or priority
 * (nft answers "Operation not supported"), so after an upgrade that changes
 * the layout use `{ recreate: true }` once (it deletes and redefines the table
 * in the same transaction); that is what the daemon should do at start-up.
 *
 * ## Docker on the same host (FORWARD policy DROP)
 *
 * In nftables every base chain on a hook sees the packet; an accept only ends
 * that chain, a drop anywhere is final. Docker sets the iptables
 * `filter FORWARD` policy to DROP (with iptables-nft that is the nft chain
 * `ip filter FORWARD`, priority 0; with iptables-legacy an x_tables chain),
 * which would drop berth's forwarded traffic whatever berth's own table says,
 * and no priority of ours can prevent that. So berth inserts, into the
 * iptables filter table, a jump at the top of FORWARD to its own chain
 * that accepts everything in and out of its bridges
 * (`forwardCompatRestore`, fed to `iptables-restore --noflush`). That rule
 * only neutralises the foreign DROP: berth's own forward chain still drops
 * what berth's policy forbids. It is written with the iptables tools (never
 * with nft into iptables' tables, which would make `iptables -L` unreadable
 * for Docker). Docker does not flush FORWARD when it restarts, so the jump
 * survives; install it whenever the filter table exists (whatever its current
 * policy), on daemon start and whenever the set of bridges changes, for each
 * backend in use (sys/nft `iptablesFilterRules('nft' | 'legacy')`). Each
 * daemon on the host owns its own chain and jump (`forwardCompatChain`:
 * BERTH-FORWARD for the default daemon, BERTH-FWD-<bridge> for the others),
 * since redefining or removing a shared chain would drop another daemon's
 * bridges; likewise each daemon has its own nft table. Base
 * chains in other nft tables with policy drop on the forward hook (e.g. a
 * hand-written `inet filter`) cannot be fixed from here: sys/nft
 * `forwardHookChains()` lists them so the daemon can warn. Known gap: when
 * Docker starts after berth on a host that had no iptables filter table yet,
 * its DROP applies until berth syncs again (next start or network change).
 *
 * ```ts
 * for (const backend of ['nft', 'legacy'] as const) {
 *   const rules = await iptablesFilterRules(backend);      // undefined: no filter table, nothing to do
 *   if (rules === undefined) continue;
 *   const input = forwardCompatRestore(bridges, parseIptablesRules(rules), chain);
 *   if (input) await iptablesRestore(backend, input);
 * }
 * ```
 *
 * Removing a UDP publish does not end flows that conntrack already tracks:
 * they keep their DNAT until the entry expires (Docker deletes those entries;
 * there is no conntrack tool on this host).
 */
import { invalidParameter } from '../errdefs/errdefs.js';
import { canonicalCidr, isIpv4 } from './cidr.js';

export interface FirewallNetwork {
  /** Bridge device name. */
  bridge: string;
  /** IPv4 subnet of the network, CIDR. */
  subnet: string;
  /** No traffic leaves or enters the subnet. */
  internal: boolean;
  /** Masquerade traffic from the subnet that leaves through another interface. */
  masquerade: boolean;
}

export interface FirewallPublish {
  containerIp: string;
  /** Bridge of the container's network (must be one of `networks`). */
  bridge: string;
  proto: 'tcp' | 'udp';
  /** '' or '0.0.0.0' = any local address; IPv6 addresses are skipped. */
  hostIp: string;
  hostPort: number;
  containerPort: number;
}

export interface FirewallState {
  /** nft table name, e.g. "berth" (letters, digits, underscore). */
  table: string;
  networks: FirewallNetwork[];
  publishes: FirewallPublish[];
}

export const FIREWALL_FAMILY = 'ip';

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;

function checkTable(name: string): void {
  if (!TABLE_NAME.test(name)) throw invalidParameter(`invalid nftables table name: ${JSON.stringify(name)}`);
}

function checkIfname(name: string): void {
  if (!IFNAME.test(name)) throw invalidParameter(`invalid interface name: ${JSON.stringify(name)}`);
}

function checkPort(p: number): void {
  if (!Number.isInteger(p) || p < 1 || p > 65535) throw invalidParameter(`invalid port: ${p}`);
}

const q = (ifname: string): string => `"${ifname}"`;
const set = (names: string[]): string => (names.length === 1 ? q(names[0]!) : `{ ${names.map(q).join(', ')} }`);

/** Whether a publish binds every local address. */
export function isAnyHostIp(hostIp: string): boolean {
  return hostIp === '' || hostIp === '0.0.0.0';
}

/**
 * The nft script that makes berth's table exactly `state`. Throws
 * InvalidParameter on malformed state (names, addresses, ports, a publish on
 * an unknown bridge).
 */
export function buildRuleset(state: FirewallState, opts: { recreate?: boolean } = {}): string {
  checkTable(state.table);
  const t = `${FIREWALL_FAMILY} ${state.table}`;
  const nets = state.networks.map((n) => {
    checkIfname(n.bridge);
    return { ...n, subnet: canonicalCidr(n.subnet) };
  });
  const byBridge = new Map(nets.map((n) => [n.bridge, n]));
  if (byBridge.size !== nets.length) throw invalidParameter('two networks share a bridge');

  const dnat: string[] = [];
  const anyDnat: string[] = [];
  for (const p of state.publishes) {
    const net = byBridge.get(p.bridge);
    if (!net) throw invalidParameter(`published port on unknown bridge ${JSON.stringify(p.bridge)}`);
    if (p.proto !== 'tcp' && p.proto !== 'udp') throw invalidParameter(`invalid protocol: ${String(p.proto)}`);
    checkPort(p.hostPort);
    checkPort(p.containerPort);
    if (!isIpv4(p.containerIp)) throw invalidParameter(`invalid container address: ${p.containerIp}`);
    if (net.internal) continue;
    const to = `${p.proto} dport ${p.hostPort} dnat to ${p.containerIp}:${p.containerPort}`;
    if (isAnyHostIp(p.hostIp)) anyDnat.push(`\t\t${to}`);
    else if (isIpv4(p.hostIp)) dnat.push(`\t\tip daddr ${p.hostIp} ${to}`);
    else if (p.hostIp.includes(':')) continue; // IPv6: not this table's business
    else throw invalidParameter(`invalid host address: ${p.hostIp}`);
  }

  const post: string[] = [];
  for (const n of nets) {
    if (n.internal) continue;
    const br = q(n.bridge);
    post.push(`\t\toifname ${br} ct status dnat fib saddr type local masquerade`);
    post.push(`\t\toifname ${br} ip saddr ${n.subnet} ct status dnat masquerade`);
    if (n.masquerade) post.push(`\t\tip saddr ${n.subnet} oifname != ${br} masquerade`);
  }

  const fwd: string[] = [];
  const all = nets.map((n) => n.bridge);
  for (const n of nets) {
    if (!n.internal) continue;
    fwd.push(`\t\tiifname ${q(n.bridge)} oifname != ${q(n.bridge)} drop`);
    fwd.push(`\t\toifname ${q(n.bridge)} iifname != ${q(n.bridge)} drop`);
  }
  if (all.length > 0) {
    const s = set(all);
    fwd.push(`\t\toifname ${s} ct state established,related accept`);
    fwd.push(`\t\toifname ${s} ct status dnat accept`);
    for (const b of all) fwd.push(`\t\tiifname ${q(b)} oifname ${q(b)} accept`);
    if (all.length > 1) fwd.push(`\t\tiifname ${s} oifname ${s} drop`);
    fwd.push(`\t\tiifname ${s} accept`);
    fwd.push(`\t\toifname ${s} drop`);
  }

  const lines = [
    `table ${t}`,
    opts.recreate ? `delete table ${t}` : `flush table ${t}`,
    `table ${t} {`,
    '\tchain localnet {',
    '\t\ttype filter hook prerouting priority raw; policy accept;',
    '\t\tiifname != "lo" ip daddr 127.0.0.0/8 drop',
    '\t\tiifname != "lo" ip saddr 127.0.0.0/8 drop',
    '\t}',
    '\tchain prerouting {',
    '\t\ttype nat hook prerouting priority dstnat; policy accept;',
    '\t\tfib daddr type local jump publish',
    '\t}',
    '\tchain output {',
    '\t\ttype nat hook output priority -100; policy accept;',
    '\t\tfib daddr type local jump publish',
    '\t}',
    '\tchain publish {',
    ...dnat,
    ...anyDnat,
    '\t}',
    '\tchain postrouting {',
    '\t\ttype nat hook postrouting priority srcnat; policy accept;',
    ...post,
    '\t}',
    '\tchain forward {',
    '\t\ttype filter hook forward priority filter; policy accept;',
    ...fwd,
    '\t}',
    '}',
  ];
  return lines.join('\n') + '\n';
}

/** The nft script that removes berth's table (and succeeds when it is missing). */
export function removeRulesetScript(table: string): string {
  checkTable(table);
  return `table ${FIREWALL_FAMILY} ${table}\ndelete table ${FIREWALL_FAMILY} ${table}\n`;
}

// ------------------------------------------------------------ iptables coexistence

/** The default daemon's chain in the iptables filter table. */
export const FORWARD_COMPAT_CHAIN = 'BERTH-FORWARD';

const CHAIN_NAME = /^[A-Za-z0-9_.-]{1,28}$/;

/**
 * The iptables chain of the daemon whose default bridge is `bridge`: one
 * per daemon, so that daemons never rewrite or remove each other's.
 */
export function forwardCompatChain(bridge: string, defaultBridge: string): string {
  checkIfname(bridge);
  return bridge === defaultBridge ? FORWARD_COMPAT_CHAIN : `BERTH-FWD-${bridge}`;
}

/** What `iptables -S` (filter table) says, as far as berth cares. */
export interface IptablesFilterInfo {
  /** Built-in chain policies ("FORWARD" → "DROP"). */
  policies: Record<string, string>;
  /** User-defined chains (-N). */
  chains: string[];
  /** Rules (-A lines) as printed. */
  rules: string[];
}

/** Parses `iptables -S` output (filter table). */
export function parseIptablesRules(text: string): IptablesFilterInfo {
  const info: IptablesFilterInfo = { policies: {}, chains: [], rules: [] };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = /^-P (\S+) (\S+)/.exec(line))) info.policies[m[1]!] = m[2]!;
    else if ((m = /^-N (\S+)/.exec(line))) info.chains.push(m[1]!);
    else if (line.startsWith('-A ')) info.rules.push(line);
  }
  return info;
}

function hasJump(info: IptablesFilterInfo, chain: string): boolean {
  return info.rules.includes(`-A FORWARD -j ${chain}`);
}

function checkChain(chain: string): void {
  if (!CHAIN_NAME.test(chain)) throw invalidParameter(`invalid iptables chain name: ${chain}`);
}

/**
 * Input for `iptables-restore --noflush` that makes the daemon's compat
 * chain accept traffic in and out of `bridges` and puts one jump to it at
 * the top of FORWARD (only when missing; the chain itself is redefined,
 * i.e. flushed, each time; other chains are not touched). With no bridges
 * it removes the chain and the jump (undefined when there is nothing to do).
 */
export function forwardCompatRestore(bridges: readonly string[], current: IptablesFilterInfo, chain: string): string | undefined {
  checkChain(chain);
  if (bridges.length === 0) return forwardCompatRemoval(current, chain);
  const lines = ['*filter', `:${chain} - [0:0]`];
  for (const b of bridges) {
    checkIfname(b);
    lines.push(`-A ${chain} -i ${b} -j ACCEPT`, `-A ${chain} -o ${b} -j ACCEPT`);
  }
  if (!hasJump(current, chain)) lines.push(`-I FORWARD 1 -j ${chain}`);
  lines.push('COMMIT');
  return lines.join('\n') + '\n';
}

/** Input for `iptables-restore --noflush` that removes the daemon's compat chain and its jump (undefined when absent). */
export function forwardCompatRemoval(current: IptablesFilterInfo, chain: string): string | undefined {
  checkChain(chain);
  const exists = current.chains.includes(chain);
  const jump = hasJump(current, chain);
  if (!exists && !jump) return undefined;
  const lines = ['*filter'];
  if (jump) lines.push(`-D FORWARD -j ${chain}`);
  if (exists) lines.push(`-F ${chain}`, `-X ${chain}`);
  lines.push('COMMIT');
  return lines.join('\n') + '\n';
}

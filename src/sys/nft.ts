/**
 * nftables and the iptables tools: applying scripts atomically (`nft -f -`,
 * `iptables-restore --noflush`) and reading what other firewall managers
 * (Docker) have set on the forward hook.
 *
 * Every function takes `{ netns }` (a named netns under /run/netns) so tests
 * can work in their own namespaces; the daemon uses the host's (default).
 * Errors: NftError (EngineError kind Internal) with nft's message.
 */
import { readFileSync } from 'node:fs';
import { EngineError } from '../errdefs/errdefs.js';
import { run, type RunResult } from './exec.js';

export interface NetnsOption {
  /** Named network namespace (/run/netns/NAME); default: this process's. */
  netns?: string;
}

export class NftError extends EngineError {
  readonly stderr: string;
  constructor(what: string, stderr: string) {
    super('Internal', `${what}: ${stderr.trim() || 'failed'}`);
    this.stderr = stderr;
  }
}

function inNetns(argv: string[], opts: NetnsOption): string[] {
  if (opts.netns === undefined) return argv;
  if (!/^[A-Za-z0-9_.-]+$/.test(opts.netns) || opts.netns === '.' || opts.netns === '..') {
    throw new EngineError('InvalidParameter', `invalid network namespace name: ${JSON.stringify(opts.netns)}`);
  }
  return ['nsenter', `--net=/run/netns/${opts.netns}`, ...argv];
}

async function tool(argv: string[], opts: NetnsOption, input?: string): Promise<RunResult> {
  try {
    return await run(inNetns(argv, opts), { input: input ?? '', allowFailure: true });
  } catch (e) {
    throw new EngineError('Internal', (e as Error).message, { cause: e });
  }
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const FAMILIES = new Set(['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev']);

function checkTable(family: string, name: string): void {
  if (!FAMILIES.has(family) || !NAME.test(name)) {
    throw new EngineError('InvalidParameter', `invalid nftables table: ${family} ${name}`);
  }
}

/** Applies an nft script in one transaction (`nft -f -`): all of it or nothing. */
export async function nftApply(script: string, opts: NetnsOption = {}): Promise<void> {
  const r = await tool(['nft', '-f', '-'], opts, script);
  if (r.code !== 0) throw new NftError('nft', r.stderr || r.stdout);
}

/** Deletes a table; a missing table is not an error. */
export async function nftDeleteTable(family: string, name: string, opts: NetnsOption = {}): Promise<void> {
  checkTable(family, name);
  return nftApply(`table ${family} ${name}\ndelete table ${family} ${name}\n`, opts);
}

/** `nft list table` output, or undefined when the table does not exist. */
export async function nftListTable(family: string, name: string, opts: NetnsOption = {}): Promise<string | undefined> {
  checkTable(family, name);
  const r = await tool(['nft', 'list', 'table', family, name], opts);
  if (r.code === 0) return r.stdout;
  if (/No such file or directory/.test(r.stderr)) return undefined;
  throw new NftError('nft list table', r.stderr);
}

/** A base chain on the forward hook (any table, any family that sees IPv4). */
export interface ForwardHookChain {
  family: string;
  table: string;
  chain: string;
  priority: number;
  policy: string;
}

/**
 * The base chains on the forward hook of families ip and inet, from
 * `nft -j list chains` (iptables-nft's `ip filter FORWARD` included). A
 * chain with policy "drop" outside berth's table drops berth's traffic
 * unless it accepts it explicitly (see network/firewall.ts).
 */
export async function forwardHookChains(opts: NetnsOption = {}): Promise<ForwardHookChain[]> {
  const r = await tool(['nft', '-j', 'list', 'chains'], opts);
  if (r.code !== 0) throw new NftError('nft list chains', r.stderr);
  const doc = JSON.parse(r.stdout || '{"nftables":[]}') as { nftables?: { chain?: Record<string, unknown> }[] };
  const out: ForwardHookChain[] = [];
  for (const item of doc.nftables ?? []) {
    const c = item.chain;
    if (!c || c.hook !== 'forward') continue;
    if (c.family !== 'ip' && c.family !== 'inet') continue;
    out.push({
      family: String(c.family),
      table: String(c.table),
      chain: String(c.name),
      priority: Number(c.prio ?? 0),
      policy: String(c.policy ?? 'accept'),
    });
  }
  return out;
}

export type IptablesBackend = 'nft' | 'legacy';

/**
 * `iptables -S` of the filter table for one backend, or undefined when that
 * backend has no filter table (nothing to coexist with; nothing is created
 * by asking). The legacy backend is only asked when the kernel already has
 * its filter table (/proc/net/ip_tables_names), so no module gets loaded.
 */
export async function iptablesFilterRules(backend: IptablesBackend, opts: NetnsOption = {}): Promise<string | undefined> {
  if (backend === 'nft') {
    const t = await tool(['nft', 'list', 'table', 'ip', 'filter'], opts);
    if (t.code !== 0) return undefined;
    const r = await tool(['iptables-nft', '-w', '-t', 'filter', '-S'], opts);
    if (r.code !== 0) throw new NftError('iptables-nft -S', r.stderr);
    return r.stdout;
  }
  let names = '';
  if (opts.netns === undefined) {
    try {
      names = readFileSync('/proc/net/ip_tables_names', 'utf8');
    } catch {
      return undefined;
    }
  } else {
    const r = await tool(['cat', '/proc/net/ip_tables_names'], opts);
    if (r.code !== 0) return undefined;
    names = r.stdout;
  }
  if (!names.split('\n').includes('filter')) return undefined;
  const r = await tool(['iptables-legacy', '-w', '-t', 'filter', '-S'], opts);
  if (r.code !== 0) throw new NftError('iptables-legacy -S', r.stderr);
  return r.stdout;
}

/** Feeds `iptables-restore --noflush` for one backend (atomic per table). */
export async function iptablesRestore(backend: IptablesBackend, input: string, opts: NetnsOption = {}): Promise<void> {
  const r = await tool([`iptables-${backend}-restore`, '-w', '--noflush'], opts, input);
  if (r.code !== 0) throw new NftError(`iptables-${backend}-restore`, r.stderr || r.stdout);
}

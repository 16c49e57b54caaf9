/**
 * The /etc/hostname, /etc/hosts and /etc/resolv.conf a container sees,
 * written in its directory and bind-mounted by the runtime spec.
 */
import { promises as fs } from 'node:fs';
import { invalidParameter } from '../errdefs/errdefs.js';
import type { Host } from '../sys/host.js';

export interface HostsEntry {
  ip: string;
  names: string[];
}

export function hostsFile(entries: readonly HostsEntry[]): string {
  const base = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
  ];
  return [...base, ...entries.map((e) => `${e.ip}\t${e.names.join(' ')}`)].join('\n') + '\n';
}

/**
 * The container's resolv.conf: the host's (its text given), or the servers given with --dns.
 * Loopback nameservers of the host cannot be reached from a container's own
 * network namespace, so they are dropped (Docker then falls back to public
 * servers; we keep what remains and say nothing more).
 */
export function resolvConf(opts: { hostResolvConf: string; dns: string[]; dnsSearch: string[]; dnsOptions: string[]; keepLoopback: boolean }): string {
  const lines = opts.hostResolvConf.split('\n');
  const servers = opts.dns.length
    ? opts.dns
    : lines
        .map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1])
        .filter((s): s is string => !!s && (opts.keepLoopback || !/^(127\.|::1$)/.test(s)));
  const search = opts.dnsSearch.length ? opts.dnsSearch : lines.map((l) => /^\s*search\s+(.*)$/.exec(l)?.[1]).filter((s): s is string => !!s).flatMap((s) => s.split(/\s+/));
  const options = opts.dnsOptions.length ? opts.dnsOptions : lines.map((l) => /^\s*options\s+(.*)$/.exec(l)?.[1]).filter((s): s is string => !!s).flatMap((s) => s.split(/\s+/));
  let out = '';
  for (const s of servers) out += `nameserver ${s}\n`;
  if (search.length) out += `search ${search.join(' ')}\n`;
  if (options.length) out += `options ${options.join(' ')}\n`;
  return out;
}

/**
 * Writes the files, in place: once the runtime has bind-mounted them into a
 * created container, a rename would leave the container with the old inode.
 * Not synced to disk: they are derived from the container's record and
 * rewritten at every start (NetworkAttacher.attach), so a crash costs
 * nothing, while three fsyncs cost ~40 ms of every create on this host's disk.
 */
export async function writeEtcFiles(paths: { hostname: string; hosts: string; resolvConf: string }, content: { hostname: string; hosts: string; resolvConf: string }): Promise<void> {
  await Promise.all([fs.writeFile(paths.hostname, content.hostname + '\n'), fs.writeFile(paths.hosts, content.hosts), fs.writeFile(paths.resolvConf, content.resolvConf)]);
}

/** A container can write its bind-mounted /etc files: copies of them are refused past this size. */
const MAX_ETC_FILE = 1024 * 1024;

/**
 * Reads one of a container's /etc files (hosts, resolv.conf) that another
 * container is to share: bounded, regular files only, off the event loop.
 * `what` names it in the error ("/etc/hosts of container 3f2a…").
 */
export async function readEtcFile(host: Host, path: string, what: string): Promise<string> {
  const f = await host.files.readBounded(path, MAX_ETC_FILE);
  switch (f.kind) {
    case 'file':
      return f.data.toString('utf8');
    case 'missing':
      return '';
    case 'not-regular':
      throw invalidParameter(`cannot share ${what}: it is ${f.what}, not a regular file`);
    case 'too-large':
      throw invalidParameter(`cannot share ${what}: it is ${f.size} bytes, more than the ${MAX_ETC_FILE} allowed`);
  }
}

/** Port flags of run/create: -p (docker/go-connections nat) and --expose. */
import type { PortBinding } from '../../api/types/containers.js';
import { parseGoUint10, parseIP } from './goparse.js';
import { cut } from './kv.js';
import { fail } from './run-errors.js';

export function parsePortRange(ports: string): [number, number] {
  if (ports === '') throw new Error('empty string specified for ports');
  if (!ports.includes('-')) {
    const v = parseGoUint10(ports, 16);
    return [v, v];
  }
  const parts = ports.split('-');
  const start = parseGoUint10(parts[0]!, 16);
  const end = parseGoUint10(parts[1]!, 16);
  if (end < start) throw new Error(`invalid range specified for port: ${ports}`);
  return [start, end];
}

export function splitProtoPort(raw: string): [string, string] {
  const parts = raw.split('/');
  if (raw.length === 0 || parts[0]!.length === 0) return ['', ''];
  if (parts.length === 1) return ['tcp', raw];
  if (parts[1]!.length === 0) return ['tcp', parts[0]!];
  return [parts[1]!, parts[0]!];
}

function splitParts(raw: string): [string, string, string] {
  const parts = raw.split(':');
  const n = parts.length;
  const containerPort = parts[n - 1]!;
  if (n === 1) return ['', '', containerPort];
  if (n === 2) return ['', parts[0]!, containerPort];
  if (n === 3) return [parts[0]!, parts[1]!, containerPort];
  return [parts.slice(0, n - 2).join(':'), parts[n - 2]!, containerPort];
}

/** net.SplitHostPort(ip + ":") for a bracketed address: the host, or Go's AddrError text. */
function stripBrackets(ip: string): string {
  const hostport = ip + ':';
  const err = (why: string): Error => new Error(`invalid IP address ${ip}: address ${hostport}: ${why}`);
  const end = hostport.indexOf(']');
  if (end < 0) throw err("missing ']' in address");
  const last = hostport.length - 1;
  if (end + 1 !== last) throw err(hostport[end + 1] === ':' ? 'too many colons in address' : 'missing port in address');
  const host = hostport.slice(1, end);
  if (hostport.indexOf('[', 1) >= 0) throw err("unexpected '[' in address");
  if (hostport.indexOf(']', end + 1) >= 0) throw err("unexpected ']' in address");
  return host;
}

export interface PortMapping {
  port: string;
  binding: PortBinding;
}

/** nat.ParsePortSpec: `[ip:][hostPort:]containerPort[/proto]`, ranges allowed. */
export function parsePortSpec(rawPort: string): PortMapping[] {
  let [ip, hostPort, containerPort] = splitParts(rawPort);
  let proto: string;
  [proto, containerPort] = splitProtoPort(containerPort);
  if (ip !== '' && ip[0] === '[') ip = stripBrackets(ip);
  if (ip !== '' && parseIP(ip) === null) throw new Error(`invalid IP address: ${ip}`);
  if (containerPort === '') throw new Error(`no port specified: ${rawPort}<empty>`);
  let start: number;
  let end: number;
  try {
    [start, end] = parsePortRange(containerPort);
  } catch {
    throw new Error(`invalid containerPort: ${containerPort}`);
  }
  let hostStart = 0;
  let hostEnd = 0;
  if (hostPort.length > 0) {
    try {
      [hostStart, hostEnd] = parsePortRange(hostPort);
    } catch {
      throw new Error(`invalid hostPort: ${hostPort}`);
    }
  }
  if (hostPort !== '' && end - start !== hostEnd - hostStart && end !== start) {
    throw new Error(`invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`);
  }
  const lower = proto.toLowerCase();
  if (!['tcp', 'udp', 'sctp'].includes(lower)) throw new Error(`invalid proto: ${proto}`);
  const out: PortMapping[] = [];
  for (let i = 0; i <= end - start; i++) {
    let hp = hostPort;
    if (hostPort.length > 0) hp = String(hostStart + i);
    if (start === end && hostStart !== hostEnd) hp = `${hp}-${hostEnd}`;
    out.push({ port: `${start + i}/${lower}`, binding: { HostIp: ip, HostPort: hp } });
  }
  return out;
}

/** The long `--publish published=8080,target=80,protocol=udp` form, as docker rewrites it. */
export function convertToStandardNotation(ports: string[]): string[] {
  return ports.map((publish) => {
    if (!publish.includes('=')) return publish;
    const params: Record<string, string> = { protocol: 'tcp' };
    for (const param of publish.split(',')) {
      const [k, v, ok] = cut(param, '=');
      if (!ok || k === '') throw fail(`invalid publish opts format (should be name=value but got '${param}')`);
      params[k] = v;
    }
    return `${params['published'] ?? ''}:${params['target'] ?? ''}/${params['protocol'] ?? ''}`;
  });
}

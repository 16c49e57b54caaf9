/** `port`: a container's published ports, from its inspect data. */
import type { ContainerInspect, PortMap } from '../../api/types/containers.js';
import { CliError, type Cli } from '../command.js';
import type { CliContext } from '../context.js';
import { goQuote } from '../format/gofmt.js';
import { naturalCompare } from '../format/sort.js';

/** net.JoinHostPort: IPv6 hosts in brackets. */
function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** strconv.ParseUint(port, 10, 16) errors, as docker wraps them. */
function checkPort(port: string): void {
  const syntax = !/^\d+$/.test(port);
  if (!syntax && Number(port) <= 0xffff) return;
  const why = syntax ? 'invalid syntax' : 'value out of range';
  throw new CliError(`Error: invalid port (${port}): strconv.ParseUint: parsing ${goQuote(port)}: ${why}`);
}

/**
 * docker's runPort: without a port, "8080/tcp -> 0.0.0.0:8000" for every
 * binding; with one (tcp unless given), just its host addresses. Lines are
 * sorted naturally. Throws "Error: No public port '80/tcp' published for x".
 */
export function portLines(ports: PortMap | null | undefined, container: string, port?: string): string[] {
  const map = ports ?? {};
  let out: string[];
  if (port !== undefined && port !== '') {
    const slash = port.indexOf('/');
    const num = slash < 0 ? port : port.slice(0, slash);
    const proto = (slash < 0 ? '' : port.slice(slash + 1)) || 'tcp';
    checkPort(num);
    const key = `${num}/${proto}`;
    const frontends = Object.hasOwn(map, key) ? map[key] : undefined;
    if (!frontends || frontends.length === 0) throw new CliError(`Error: No public port '${port}' published for ${container}`);
    out = frontends.map((f) => joinHostPort(f.HostIp ?? '', f.HostPort ?? ''));
  } else {
    out = [];
    for (const [from, frontends] of Object.entries(map)) {
      for (const f of frontends ?? []) out.push(`${from} -> ${joinHostPort(f.HostIp ?? '', f.HostPort ?? '')}`);
    }
  }
  return out.sort(naturalCompare);
}

export function registerPortCommand(cli: Cli<CliContext>): void {
  cli.add({
    path: 'port',
    aliases: ['container port'],
    usage: 'CONTAINER [PRIVATE_PORT[/PROTO]]',
    description: 'List port mappings or a specific mapping for the container',
    args: { min: 1, max: 2 },
    async action(ctx, args) {
      const c = await ctx.client().json<ContainerInspect>('GET', `/containers/${encodeURIComponent(args[0]!)}/json`);
      const lines = portLines(c.NetworkSettings?.Ports, args[0]!, args[1]);
      if (lines.length) ctx.out(lines.join('\n') + '\n');
    },
  });
}

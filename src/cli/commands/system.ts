/** System commands: version, info. */
import os from 'node:os';
import type { DiskUsage, InfoResponse, VersionResponse } from '../../api/types/system.js';
import { ApiError, ConnectError } from '../../client/client.js';
import type { Cli } from '../command.js';
import type { CliContext } from '../context.js';
import { CLI_API_VERSION, CLI_VERSION } from '../version.js';

const goArch = (): string => (process.arch === 'x64' ? 'amd64' : process.arch);

interface VersionInfo {
  Client: { Version: string; ApiVersion: string; NodeVersion: string; Os: string; Arch: string; Context: string };
  Server: VersionResponse | null;
}

function versionText(v: VersionInfo): string {
  const c = v.Client;
  let s =
    `Client:\n` +
    ` Version:           ${c.Version}\n` +
    ` API version:       ${c.ApiVersion}\n` +
    ` Node version:      ${c.NodeVersion}\n` +
    ` OS/Arch:           ${c.Os}/${c.Arch}\n` +
    ` Context:           ${c.Context}\n`;
  const sv = v.Server;
  if (!sv) return s;
  s += `\nServer: ${sv.Platform.Name}\n`;
  for (const comp of sv.Components) {
    s += ` ${comp.Name}:\n`;
    if (comp.Name === 'Engine') {
      s +=
        `  Version:          ${sv.Version}\n` +
        `  API version:      ${sv.ApiVersion} (minimum version ${sv.MinAPIVersion})\n` +
        `  Node version:     ${sv.GoVersion.replace(/^node /, '')}\n` +
        `  OS/Arch:          ${sv.Os}/${sv.Arch}\n` +
        `  Experimental:     ${sv.Experimental ?? false}\n`;
    } else {
      s += `  Version:          ${comp.Version}\n`;
      for (const [k, val] of Object.entries(comp.Details ?? {})) s += `  ${`${k}:`.padEnd(18)}${val}\n`;
    }
  }
  return s;
}


export function registerSystemCommands(cli: Cli<CliContext>): void {
  cli.group({ path: 'system', description: 'Manage berth' });

  cli.add({
    path: 'version',
    usage: '[OPTIONS]',
    description: 'Show the berth version information',
    args: { max: 0 },
    options: [{ flags: '-f, --format', arg: 'string', desc: 'Format output using a custom template' }],
    async action(ctx, _args, o) {
      const v: VersionInfo = {
        Client: { Version: CLI_VERSION, ApiVersion: CLI_API_VERSION, NodeVersion: process.version, Os: os.platform(), Arch: goArch(), Context: 'default' },
        Server: null,
      };
      let failure: Error | undefined;
      try {
        v.Server = await ctx.client().json<VersionResponse>('GET', '/version');
      } catch (e) {
        if (!(e instanceof ApiError) && !(e instanceof ConnectError)) throw e;
        failure = e;
      }
      const format = o['format'] as string | undefined;
      ctx.out(format ? (await import('../format/formatter.js')).renderTemplate(format, v) + '\n' : versionText(v));
      if (failure) throw failure;
    },
  });

  cli.add({
    path: 'system df',
    usage: '[OPTIONS]',
    description: 'Show berth disk usage',
    args: { max: 0 },
    options: [
      { flags: '--format', arg: 'string', desc: 'Format output using a custom template' },
      { flags: '-v, --verbose', desc: 'Show detailed information on space usage' },
    ],
    async action(ctx, _args, o) {
      const du = await ctx.client().json<DiskUsage>('GET', '/system/df');
      const { diskUsageRows, diskUsageVerbose } = await import('./system-views.js');
      const { renderList } = await import('../format/formatter.js');
      if (o['verbose']) {
        ctx.out(diskUsageVerbose(du));
        return;
      }
      ctx.out(
        renderList(o['format'] as string | undefined, 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}', diskUsageRows(du), {
          Type: 'TYPE',
          TotalCount: 'TOTAL',
          Active: 'ACTIVE',
          Size: 'SIZE',
          Reclaimable: 'RECLAIMABLE',
        }),
      );
    },
  });

  cli.add({
    path: 'info',
    aliases: ['system info'],
    usage: '[OPTIONS]',
    description: 'Display system-wide information',
    args: { max: 0 },
    options: [{ flags: '-f, --format', arg: 'string', desc: 'Format output using a custom template' }],
    async action(ctx, _args, o) {
      const info = await ctx.client().json<InfoResponse>('GET', '/info');
      const { infoText } = await import('./system-views.js');
      const { renderTemplate } = await import('../format/formatter.js');
      const format = o['format'] as string | undefined;
      if (format) {
        ctx.out(renderTemplate(format, { ...info, ClientInfo: { Version: CLI_VERSION, Context: 'default', Debug: false } }) + '\n');
        return;
      }
      ctx.out(`Client:\n Version:    ${CLI_VERSION}\n Context:    default\n Debug Mode: false\n\n`);
      ctx.out(infoText(info));
    },
  });
}

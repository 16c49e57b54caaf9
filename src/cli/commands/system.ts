/** System commands: version, info. */
import os from 'node:os';
import type { InfoResponse, VersionResponse } from '../../api/types/system.js';
import { ApiError, ConnectError } from '../../client/client.js';
import type { Cli } from '../command.js';
import type { CliContext } from '../context.js';
import { renderTemplate } from '../format/formatter.js';
import { bytesSize } from '../format/units.js';
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

function infoText(i: InfoResponse): string {
  const lines: string[] = [
    'Server:',
    ` Containers: ${i.Containers}`,
    `  Running: ${i.ContainersRunning}`,
    `  Paused: ${i.ContainersPaused}`,
    `  Stopped: ${i.ContainersStopped}`,
    ` Images: ${i.Images}`,
    ` Server Version: ${i.ServerVersion}`,
    ` Storage Driver: ${i.Driver}`,
    ...i.DriverStatus.map(([k, v]) => `  ${k}: ${v}`),
    ` Logging Driver: ${i.LoggingDriver}`,
    ` Cgroup Driver: ${i.CgroupDriver}`,
    ` Cgroup Version: ${i.CgroupVersion}`,
    ' Plugins:',
    `  Volume: ${i.Plugins.Volume.join(' ')}`,
    `  Network: ${i.Plugins.Network.join(' ')}`,
    `  Log: ${i.Plugins.Log.join(' ')}`,
    ` Runtimes: ${Object.keys(i.Runtimes).join(' ')}`,
    ` Default Runtime: ${i.DefaultRuntime}`,
    ` runc version: ${i.RuncCommit.ID}`,
    ' Security Options:',
    ...i.SecurityOptions.flatMap((o) => {
      const kv = Object.fromEntries(o.split(',').map((p) => p.split('=') as [string, string]));
      return [`  ${kv['name'] ?? o}`, ...Object.entries(kv).filter(([k]) => k !== 'name').map(([k, v]) => `   ${k[0]!.toUpperCase()}${k.slice(1)}: ${v}`)];
    }),
    ` Kernel Version: ${i.KernelVersion}`,
    ` Operating System: ${i.OperatingSystem}`,
    ` OSType: ${i.OSType}`,
    ` Architecture: ${i.Architecture}`,
    ` CPUs: ${i.NCPU}`,
    ` Total Memory: ${bytesSize(i.MemTotal)}`,
    ` Name: ${i.Name}`,
    ` ID: ${i.ID}`,
    ` Docker Root Dir: ${i.DockerRootDir}`,
    ` Debug Mode: ${i.Debug}`,
    ` Experimental: ${i.ExperimentalBuild}`,
    ' Insecure Registries:',
    ...i.RegistryConfig.InsecureRegistryCIDRs.map((c) => `  ${c}`),
    ...(i.RegistryConfig.Mirrors.length ? [' Registry Mirrors:', ...i.RegistryConfig.Mirrors.map((m) => `  ${m}`)] : []),
    ` Live Restore Enabled: ${i.LiveRestoreEnabled}`,
  ];
  return lines.join('\n') + '\n' + (i.Warnings ?? []).map((w) => `${w}\n`).join('');
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
      ctx.out(format ? renderTemplate(format, v) + '\n' : versionText(v));
      if (failure) throw failure;
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

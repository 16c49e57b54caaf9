/** Rendering for `system info` and `system df` (loaded only by those commands: it needs the format engine). */
import type { DiskUsage, InfoResponse } from '../../api/types/system.js';
import { tabwrite } from '../format/tabwriter.js';
import { bytesSize, humanSize, timeAgo } from '../format/units.js';

export function infoText(i: InfoResponse): string {
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
    // docker's order: insecure registries by name, then the CIDRs.
    ...Object.values(i.RegistryConfig.IndexConfigs ?? {}).filter((c) => !c.Secure).map((c) => `  ${c.Name}`),
    ...i.RegistryConfig.InsecureRegistryCIDRs.map((c) => `  ${c}`),
    ...(i.RegistryConfig.Mirrors.length ? [' Registry Mirrors:', ...i.RegistryConfig.Mirrors.map((m) => `  ${m}`)] : []),
    ` Live Restore Enabled: ${i.LiveRestoreEnabled}`,
  ];
  return lines.join('\n') + '\n' + (i.Warnings ?? []).map((w) => `${w}\n`).join('');
}

/** The rows of `system df`, with docker's reclaimable arithmetic. */
export function diskUsageRows(du: DiskUsage): Record<string, string>[] {
  const size = (n: number) => humanSize(n, 4);
  const reclaim = (r: number, total: number) => (total > 0 ? `${size(r)} (${Math.floor((r / total) * 100)}%)` : size(r));
  const imgSize = du.LayersSize;
  // docker/cli: what images in use hold alone is not reclaimable; the rest is.
  const imgReclaim = imgSize - du.Images.filter((i) => i.Containers > 0 && i.SharedSize >= 0).reduce((n, i) => n + i.Size - i.SharedSize, 0);
  const ctrSize = du.Containers.reduce((n, c) => n + (c.SizeRw ?? 0), 0);
  const ctrReclaim = du.Containers.filter((c) => c.State !== 'running' && c.State !== 'paused').reduce((n, c) => n + (c.SizeRw ?? 0), 0);
  const volSize = du.Volumes.reduce((n, v) => n + Math.max(0, v.UsageData?.Size ?? 0), 0);
  const volReclaim = du.Volumes.filter((v) => (v.UsageData?.RefCount ?? 0) === 0).reduce((n, v) => n + Math.max(0, v.UsageData?.Size ?? 0), 0);
  return [
    { Type: 'Images', TotalCount: String(du.Images.length), Active: String(du.Images.filter((i) => i.Containers > 0).length), Size: size(imgSize), Reclaimable: reclaim(imgReclaim, imgSize) },
    { Type: 'Containers', TotalCount: String(du.Containers.length), Active: String(du.Containers.filter((c) => c.State === 'running' || c.State === 'paused').length), Size: size(ctrSize), Reclaimable: reclaim(ctrReclaim, ctrSize) },
    { Type: 'Local Volumes', TotalCount: String(du.Volumes.length), Active: String(du.Volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length), Size: size(volSize), Reclaimable: reclaim(volReclaim, volSize) },
    { Type: 'Build Cache', TotalCount: '0', Active: '0', Size: '0B', Reclaimable: '0B' },
  ];
}

export function diskUsageVerbose(du: DiskUsage): string {
  const tw = (rows: string[]) => tabwrite(rows.join('\n') + '\n', { minWidth: 10, tabWidth: 1, padding: 3, padChar: ' ' });
  const now = Date.now();
  const images = du.Images.flatMap((i) => {
    const tags = i.RepoTags.length ? i.RepoTags : ['<none>:<none>'];
    return tags.map((t) => {
      const at = t.lastIndexOf(':');
      return [t.slice(0, at), t.slice(at + 1), i.Id.slice(7, 19), timeAgo(new Date(i.Created * 1000), now), humanSize(i.Size, 4), humanSize(Math.max(0, i.SharedSize), 4), humanSize(i.Size - Math.max(0, i.SharedSize), 4), String(i.Containers)].join('\t');
    });
  });
  const ctrs = du.Containers.map((c) => [c.Id.slice(0, 12), c.Image, JSON.stringify(c.Command.length > 20 ? `${c.Command.slice(0, 19)}…` : c.Command), String(c.Mounts.filter((m) => m.Type === 'volume').length), humanSize(c.SizeRw ?? 0, 4), timeAgo(new Date(c.Created * 1000), now), c.Status, c.Names.map((n) => n.replace(/^\//, '')).join(',')].join('\t'));
  const vols = du.Volumes.map((v) => [v.Name, String(v.UsageData?.RefCount ?? 0), humanSize(Math.max(0, v.UsageData?.Size ?? 0), 4)].join('\t'));
  return (
    `Images space usage:\n\n${tw(['REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\tSHARED SIZE\tUNIQUE SIZE\tCONTAINERS', ...images])}\n` +
    `Containers space usage:\n\n${tw(['CONTAINER ID\tIMAGE\tCOMMAND\tLOCAL VOLUMES\tSIZE\tCREATED\tSTATUS\tNAMES', ...ctrs])}\n` +
    `Local Volumes space usage:\n\n${tw(['VOLUME NAME\tLINKS\tSIZE', ...vols])}\n` +
    `Build cache usage: 0B\n`
  );
}


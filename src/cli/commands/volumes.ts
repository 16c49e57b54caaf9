/** Volume commands: volume create, ls, inspect, rm, prune (docker/cli cli/command/volume). */
import type { Volume, VolumeListResponse, VolumePruneResponse } from '../../api/types/volumes.js';
import { CliError, PROG, type Cli, type OptSpec } from '../command.js';
import type { CliContext } from '../context.js';
import { renderList } from '../format/formatter.js';
import { naturalCompare } from '../format/sort.js';
import { humanSize, parseBytes } from '../format/units.js';
import { headerLabel } from '../views/containers.js';
import { confirm, forEachName, inspectEach } from './shared.js';
import { FORMAT_HELP, INSPECT_FORMAT_HELP } from '../format/help-text.js';
import { filtersParam, kvMap, labelProblem, parseFilters } from '../opts/kv.js';

const USAGE = {
  create: '[OPTIONS] [VOLUME]',
  ls: '[OPTIONS]',
  inspect: '[OPTIONS] VOLUME [VOLUME...]',
  rm: '[OPTIONS] VOLUME [VOLUME...]',
  prune: '[OPTIONS]',
  update: '[OPTIONS] [VOLUME]',
} as const;

export const VOLUME_TABLE_FORMAT = 'table {{.Driver}}\t{{.Name}}';
const CLUSTER_TABLE_FORMAT = 'table {{.Name}}\t{{.Group}}\t{{.Driver}}\t{{.Availability}}\t{{.Status}}';

/** One `volume ls` row: docker's volumeContext. Label(name) is the template method `{{.Label "key"}}`. */
export interface VolumeRow {
  Name: string;
  Driver: string;
  Scope: string;
  Mountpoint: string;
  Labels: string;
  Links: string;
  Size: string;
  Group: string;
  Availability: string;
  Status: string;
  Label: (name: string) => string;
}

const VOLUME_HEADERS = {
  ID: 'ID',
  Name: 'VOLUME NAME',
  Group: 'GROUP',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  Availability: 'AVAILABILITY',
  Mountpoint: 'MOUNTPOINT',
  Labels: 'LABELS',
  Links: 'LINKS',
  Size: 'SIZE',
  Status: 'STATUS',
  Label: headerLabel,
} as unknown as Readonly<Record<string, string>>;


function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

export function volumeRows(volumes: readonly Volume[]): VolumeRow[] {
  return volumes.map((v) => {
    const labels = v.Labels ?? {};
    const cluster = v.ClusterVolume as { Spec?: { Group?: string; Availability?: string }; Info?: { VolumeID?: string }; PublishStatus?: unknown[] } | undefined;
    const published = cluster?.PublishStatus?.length ?? 0;
    return {
      Name: v.Name,
      Driver: v.Driver,
      Scope: v.Scope,
      Mountpoint: v.Mountpoint,
      Labels: v.Labels ? Object.entries(labels).map(([k, val]) => `${k}=${val}`).sort(compareBytes).join(',') : '',
      Links: v.UsageData ? String(v.UsageData.RefCount) : 'N/A',
      Size: v.UsageData ? humanSize(v.UsageData.Size, 4) : 'N/A',
      Group: cluster ? (cluster.Spec?.Group ?? '') : 'N/A',
      Availability: cluster ? (cluster.Spec?.Availability ?? '') : 'N/A',
      Status: !cluster
        ? 'N/A'
        : !cluster.Info?.VolumeID
          ? 'pending creation'
          : published === 0
            ? 'created'
            : published === 1
              ? 'in use (1 node)'
              : `in use (${published} nodes)`,
      Label: (name: string) => labels[name] ?? '',
    };
  });
}

/** `volume ls` output: sorted by name (natural order), docker's formats (table, json, raw, templates). */
export function renderVolumes(volumes: readonly Volume[], opts: { format?: string; quiet?: boolean; cluster?: boolean } = {}): string {
  let list = [...volumes];
  let format = opts.format ?? '';
  let table = VOLUME_TABLE_FORMAT;
  if (opts.cluster) {
    list = list.filter((v) => v.ClusterVolume);
    if (format === '' && !opts.quiet) table = CLUSTER_TABLE_FORMAT;
  }
  list.sort((a, b) => naturalCompare(a.Name, b.Name));
  if (format === 'raw') format = opts.quiet ? 'name: {{.Name}}' : 'name: {{.Name}}\\ndriver: {{.Driver}}\\n';
  return renderList(format, table, volumeRows(list) as unknown as Record<string, unknown>[], VOLUME_HEADERS, { quiet: !!opts.quiet, quietField: 'Name' });
}

/** A flag value docker rejects while parsing: its message, usage, exit status 125. */
function flagValueError(cmd: keyof typeof USAGE, flag: string, value: string, msg: string): CliError {
  const full = `${PROG} volume ${cmd}`;
  return new CliError(`invalid argument "${value}" for "${flag}" flag: ${msg}\n\nUsage:  ${full} ${USAGE[cmd]}\n\nRun '${full} --help' for more information`, 125);
}

/** `--filter k=v` flags → the filters object, with the flag's own name in errors. */
function filterQuery(values: readonly string[] | undefined, cmd: keyof typeof USAGE, flag: string): Record<string, string[]> {
  return parseFilters(values, (f) => flagValueError(cmd, flag, f, 'bad format of filter (expected name=value)'));
}

const enc = encodeURIComponent;

/** docker's flags for `volume create`, cluster volume ones included (they need swarm, which berth refuses). */
const CREATE_OPTIONS: OptSpec[] = [
  { flags: '--availability', arg: 'string', desc: 'Cluster Volume availability ("active",\n"pause", "drain") (default "active")' },
  { flags: '-d, --driver', arg: 'string', desc: 'Specify volume driver name', default: 'local' },
  { flags: '--group', arg: 'string', desc: 'Cluster Volume group (cluster volumes)' },
  { flags: '--label', arg: 'list', desc: 'Set metadata for a volume', repeat: true },
  { flags: '--limit-bytes', arg: 'bytes', desc: 'Minimum size of the Cluster Volume in bytes' },
  { flags: '--name', arg: 'string', desc: 'Specify volume name', hidden: true },
  { flags: '-o, --opt', arg: 'map', desc: 'Set driver specific options (default map[])', repeat: true },
  { flags: '--required-bytes', arg: 'bytes', desc: 'Maximum size of the Cluster Volume in bytes' },
  { flags: '--scope', arg: 'string', desc: 'Cluster Volume access scope ("single",\n"multi") (default "single")' },
  { flags: '--secret', arg: 'map', desc: 'Cluster Volume secrets (default map[])', repeat: true },
  { flags: '--sharing', arg: 'string', desc: 'Cluster Volume access sharing ("none",\n"readonly", "onewriter", "all")\n(default "none")' },
  { flags: '--topology-preferred', arg: 'list', desc: 'A topology that the Cluster Volume\nwould be preferred in', repeat: true },
  { flags: '--topology-required', arg: 'list', desc: 'A topology that the Cluster Volume must\nbe accessible from', repeat: true },
  { flags: '--type', arg: 'string', desc: 'Cluster Volume access type ("mount",\n"block") (default "block")' },
];

export function registerVolumeCommands(cli: Cli<CliContext>): void {
  cli.group({ path: 'volume', description: 'Manage volumes' });

  cli.add({
    path: 'volume create',
    usage: USAGE.create,
    description: 'Create a volume',
    args: { max: 1 },
    options: CREATE_OPTIONS,
    async action(ctx, args, o) {
      for (const l of (o['label'] as string[]) ?? []) {
        const problem = labelProblem(l);
        if (problem) throw flagValueError('create', '--label', l, problem);
      }
      for (const flag of ['limitBytes', 'requiredBytes'] as const) {
        const v = o[flag] as string | undefined;
        if (v === undefined) continue;
        try {
          parseBytes(v);
        } catch (e) {
          throw flagValueError('create', `--${flag === 'limitBytes' ? 'limit' : 'required'}-bytes`, v, (e as Error).message);
        }
      }
      let name = (o['name'] as string | undefined) ?? '';
      if (args.length === 1) {
        if (name !== '') throw new CliError('conflicting options: cannot specify a volume-name through both --name and as a positional arg', 1);
        name = args[0]!;
      }
      // Docker sends a cluster volume spec when any of these is given; berth has no swarm, so the daemon refuses it.
      const cluster = ['group', 'scope', 'sharing', 'availability', 'type', 'limitBytes', 'requiredBytes'].some((k) => o[k] !== undefined);
      const v = await ctx.client().json<Volume>('POST', '/volumes/create', {
        body: {
          ...(cluster
            ? {
                ClusterVolumeSpec: {
                  Group: (o['group'] as string | undefined) ?? '',
                  AccessMode: {
                    Scope: (o['scope'] as string | undefined) ?? 'single',
                    Sharing: (o['sharing'] as string | undefined) ?? 'none',
                    ...(((o['type'] as string | undefined) ?? 'block') === 'mount' ? { MountVolume: {} } : { BlockVolume: {} }),
                  },
                  Availability: (o['availability'] as string | undefined) ?? 'active',
                },
              }
            : {}),
          Driver: (o['driver'] as string | undefined) ?? 'local',
          DriverOpts: kvMap(o['opt'] as string[]),
          Labels: kvMap(o['label'] as string[]),
          Name: name,
        },
      });
      ctx.out(`${v.Name}\n`);
    },
  });

  cli.add({
    path: 'volume ls',
    aliases: ['volume list'],
    usage: USAGE.ls,
    description: 'List volumes',
    args: { max: 0 },
    options: [
      { flags: '--cluster', desc: 'Display only cluster volumes, and use cluster\nvolume list formatting' },
      { flags: '-f, --filter', arg: 'filter', desc: 'Provide filter values (e.g. "dangling=true")', repeat: true },
      { flags: '--format', arg: 'string', desc: FORMAT_HELP },
      { flags: '-q, --quiet', desc: 'Only display volume names' },
    ],
    async action(ctx, _args, o) {
      const filters = filterQuery(o['filter'] as string[], 'ls', '-f, --filter');
      const r = await ctx.client().json<VolumeListResponse>('GET', '/volumes', {
        query: { filters: filtersParam(filters) },
      });
      const format = o['format'] as string | undefined;
      ctx.out(renderVolumes(r.Volumes ?? [], { ...(format !== undefined ? { format } : {}), quiet: !!o['quiet'], cluster: !!o['cluster'] }));
    },
  });

  cli.add({
    path: 'volume inspect',
    usage: USAGE.inspect,
    description: 'Display detailed information on one or more volumes',
    args: { min: 1 },
    options: [{ flags: '-f, --format', arg: 'string', desc: INSPECT_FORMAT_HELP }],
    async action(ctx, args, o) {
      return inspectEach(ctx, args, o['format'] as string | undefined, (name) => ctx.client().json<Volume>('GET', `/volumes/${enc(name)}`));
    },
  });

  cli.add({
    path: 'volume rm',
    aliases: ['volume remove'],
    usage: USAGE.rm,
    description: 'Remove one or more volumes',
    args: { min: 1 },
    options: [{ flags: '-f, --force', desc: 'Force the removal of one or more volumes' }],
    async action(ctx, args, o) {
      return forEachName(ctx, args, async (name) => {
        await ctx.client().json('DELETE', `/volumes/${enc(name)}`, { query: { force: o['force'] ? true : undefined } });
        ctx.out(`${name}\n`);
      });
    },
  });

  cli.add({
    path: 'volume prune',
    usage: USAGE.prune,
    description: 'Remove unused local volumes',
    args: { max: 0 },
    options: [
      { flags: '-a, --all', desc: 'Remove all unused volumes, not just anonymous ones' },
      { flags: '--filter', arg: 'filter', desc: 'Provide filter values (e.g. "label=<label>")', repeat: true },
      { flags: '-f, --force', desc: 'Do not prompt for confirmation' },
    ],
    async action(ctx, _args, o) {
      const filters = filterQuery(o['filter'] as string[], 'prune', '--filter');
      let warning = 'WARNING! This will remove anonymous local volumes not used by at least one container.';
      if (o['all']) {
        if (filters['all']) throw new CliError('conflicting options: cannot specify both --all and --filter all=1', 1);
        filters['all'] = ['true'];
        warning = 'WARNING! This will remove all local volumes not used by at least one container.';
      }
      if (!o['force'] && !(await confirm(ctx, warning))) return 0;
      const r = await ctx.client().json<VolumePruneResponse>('POST', '/volumes/prune', {
        query: { filters: filtersParam(filters) },
      });
      let reclaimed = 0;
      if (r.VolumesDeleted?.length) {
        ctx.out(`Deleted Volumes:\n${r.VolumesDeleted.map((n) => `${n}\n`).join('')}\n`);
        reclaimed = r.SpaceReclaimed;
      }
      ctx.out(`Total reclaimed space: ${humanSize(reclaimed, 4)}\n`);
    },
  });

  cli.add({
    path: 'volume update',
    usage: USAGE.update,
    description: 'Update a volume (cluster volumes only)',
    args: { min: 1, max: 1 },
    options: [{ flags: '--availability', arg: 'string', desc: 'Cluster Volume availability ("active",\n"pause", "drain") (default "active")' }],
    async action(ctx, args) {
      const v = await ctx.client().json<Volume>('GET', `/volumes/${enc(args[0]!)}`);
      // berth has no swarm, so no volume is a cluster volume.
      if (!v.ClusterVolume) throw new CliError('can only update cluster volumes', 1);
      throw new CliError('cluster volumes need swarm, which berth does not run', 1);
    },
  });
}

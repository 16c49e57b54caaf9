/**
 * `berth build`'s flags (docker build's, with DOCKER_BUILDKIT=0) → the
 * `POST /build` query and headers, with docker/cli's validation and texts:
 * tags must be references, labels need a name, `--build-arg KEY` takes KEY
 * from the environment (or sends it without a value), the proxies of the
 * client config file become build args, sizes are go-units sizes.
 */
import type { Query } from '../../client/client.js';
import type { OptSpec, Opts } from '../command.js';
import { type ConfigFile, lookupAuth } from '../auth-config.js';
import { parseImageRef } from '../image-ref.js';
import { ramInBytes, readCSVRecord } from '../opts/goparse.js';
import { parseUlimit, validateExtraHost } from '../opts/run-values.js';

export const BUILD_OPTIONS: OptSpec[] = [
  { flags: '--add-host', arg: 'list', desc: 'Add a custom host-to-IP mapping ("host:ip")', repeat: true },
  { flags: '--build-arg', arg: 'list', desc: 'Set build-time variables', repeat: true },
  { flags: '--cache-from', arg: 'strings', desc: 'Images to consider as cache sources', repeat: true },
  { flags: '--cgroup-parent', arg: 'string', desc: 'Set the parent cgroup for the "RUN"\ninstructions during build' },
  { flags: '--compress', desc: 'Compress the build context using gzip' },
  { flags: '--cpu-period', arg: 'int', desc: 'Limit the CPU CFS (Completely Fair\nScheduler) period', int: true },
  { flags: '--cpu-quota', arg: 'int', desc: 'Limit the CPU CFS (Completely Fair\nScheduler) quota', int: true },
  { flags: '-c, --cpu-shares', arg: 'int', desc: 'CPU shares (relative weight)', int: true },
  { flags: '--cpuset-cpus', arg: 'string', desc: 'CPUs in which to allow execution (0-3, 0,1)' },
  { flags: '--cpuset-mems', arg: 'string', desc: 'MEMs in which to allow execution (0-3, 0,1)' },
  // No default here: an explicit value must be told apart from DOCKER_CONTENT_TRUST's default.
  { flags: '--disable-content-trust', desc: 'Skip image verification (default true)' },
  { flags: '-f, --file', arg: 'string', desc: 'Name of the Dockerfile (Default is\n"PATH/Dockerfile")' },
  { flags: '--force-rm', desc: 'Always remove intermediate containers' },
  { flags: '--iidfile', arg: 'string', desc: 'Write the image ID to the file' },
  { flags: '--isolation', arg: 'string', desc: 'Container isolation technology' },
  { flags: '--label', arg: 'list', desc: 'Set metadata for an image', repeat: true },
  { flags: '-m, --memory', arg: 'bytes', desc: 'Memory limit' },
  { flags: '--memory-swap', arg: 'bytes', desc: 'Swap limit equal to memory plus swap: -1\nto enable unlimited swap' },
  { flags: '--network', arg: 'string', desc: 'Set the networking mode for the RUN\ninstructions during build', default: 'default' },
  { flags: '--no-cache', desc: 'Do not use cache when building the image' },
  { flags: '--platform', arg: 'string', desc: 'Set platform if server is multi-platform\ncapable' },
  { flags: '--pull', desc: 'Always attempt to pull a newer version of\nthe image' },
  { flags: '-q, --quiet', desc: 'Suppress the build output and print image\nID on success' },
  { flags: '--rm', desc: 'Remove intermediate containers after a\nsuccessful build', default: true },
  { flags: '--security-opt', arg: 'strings', desc: 'Security options', repeat: true },
  { flags: '--shm-size', arg: 'bytes', desc: 'Size of "/dev/shm"' },
  { flags: '--squash', desc: 'Squash newly built layers into a single\nnew layer' },
  { flags: '-t, --tag', arg: 'list', desc: 'Name and optionally a tag in the\n"name:tag" format', repeat: true },
  { flags: '--target', arg: 'string', desc: 'Set the target build stage to build.' },
  { flags: '--ulimit', arg: 'ulimit', desc: 'Ulimit options', repeat: true },
];

/** A flag value docker's flag parsing refuses (printed with the usage line, status 125). */
export class FlagValueError extends Error {
  constructor(flags: string, value: string, why: string) {
    super(`invalid argument "${value}" for "${flags}" flag: ${why}`);
  }
}

/** What the build command needs besides the query. */
export interface BuildSettings {
  query: Query;
  dockerfile: string | undefined;
  quiet: boolean;
  compress: boolean;
  iidfile: string | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

const list = (o: Opts, key: string): string[] => (o[key] as string[] | undefined) ?? [];
const str = (o: Opts, key: string): string | undefined => o[key] as string | undefined;

/** Runs check over each value of a repeatable flag, turning its Error into the flag's error. */
function each<T>(values: string[], flags: string, check: (v: string) => T): T[] {
  return values.map((v) => {
    try {
      return check(v);
    } catch (e) {
      throw new FlagValueError(flags, v, (e as Error).message);
    }
  });
}

function validateTag(v: string): string {
  parseImageRef(v);
  return v;
}

function validateLabel(v: string): string {
  const key = v.split('=')[0]!.replace(/^[ \t\n\v\f\r]+/, '');
  if (key === '') throw new Error(`invalid label '${v}': empty name`);
  if (/[ \t\n\v\f\r]/.test(key)) throw new Error(`label '${key}' contains whitespaces`);
  return v;
}

/** opts.ValidateEnv: `KEY` alone takes KEY's value from the environment when it is set. */
function buildArg(v: string, env: Env): [string, string | null] {
  const eq = v.indexOf('=');
  const key = eq < 0 ? v : v.slice(0, eq);
  if (key === '') throw new Error(`invalid environment variable: ${v}`);
  if (eq >= 0) return [key, v.slice(eq + 1)];
  const fromEnv = env[key];
  return [key, fromEnv === undefined ? null : fromEnv];
}

const PROXY_KEYS: [string, string][] = [
  ['HTTP_PROXY', 'httpProxy'],
  ['HTTPS_PROXY', 'httpsProxy'],
  ['NO_PROXY', 'noProxy'],
  ['FTP_PROXY', 'ftpProxy'],
  ['ALL_PROXY', 'allProxy'],
];

/** docker's ParseProxyConfig: the config file's proxies (for this daemon, else `default`) as build args the user did not set. */
export function withProxyArgs(args: Record<string, string | null>, config: ConfigFile, host: string): Record<string, string | null> {
  const proxies = (config['proxies'] ?? {}) as Record<string, Record<string, string> | undefined>;
  const cfg = proxies[host] ?? proxies['default'] ?? {};
  const out = { ...args };
  for (const [key, field] of PROXY_KEYS) {
    const v = cfg[field];
    if (!v) continue;
    if (!(key in out)) out[key] = v;
    if (!(key.toLowerCase() in out)) out[key.toLowerCase()] = v;
  }
  return out;
}

function size(o: Opts, key: string, flags: string, allowMinusOne = false): number | undefined {
  const v = str(o, key);
  if (v === undefined) return undefined;
  if (allowMinusOne && v === '-1') return -1;
  try {
    return ramInBytes(v);
  } catch (e) {
    throw new FlagValueError(flags, v, (e as Error).message);
  }
}

/** pflag's StringSlice: every value is a CSV record. */
function stringSlice(values: string[], flags: string): string[] {
  return values.flatMap((v) => (v === '' ? [] : each([v], flags, readCSVRecord)[0]!));
}

const nonZero = (n: unknown): number | undefined => (typeof n === 'number' && n !== 0 ? n : undefined);
const json = (v: unknown, present: boolean): string | undefined => (present ? JSON.stringify(v) : undefined);

/**
 * The query of `POST /build` for the flags (docker's
 * imageBuildOptionsToQuery: defaults are not sent), without `dockerfile`,
 * which depends on the context.
 */
export function buildSettings(o: Opts, env: Env, config: ConfigFile, host: string): BuildSettings {
  const tags = each(list(o, 'tag'), '-t, --tag', validateTag);
  const labels = Object.fromEntries(each(list(o, 'label'), '--label', validateLabel).map((l) => [l.split('=')[0]!, l.includes('=') ? l.slice(l.indexOf('=') + 1) : '']));
  const args = withProxyArgs(Object.fromEntries(each(list(o, 'buildArg'), '--build-arg', (v) => buildArg(v, env))), config, host);
  const hosts = each(list(o, 'addHost'), '--add-host', validateExtraHost);
  const ulimits = each(list(o, 'ulimit'), '--ulimit', parseUlimit);
  const cacheFrom = stringSlice(list(o, 'cacheFrom'), '--cache-from');
  const securityOpt = stringSlice(list(o, 'securityOpt'), '--security-opt');
  const network = str(o, 'network');
  const isolation = str(o, 'isolation');
  const platform = str(o, 'platform') ?? env['DOCKER_DEFAULT_PLATFORM'];
  const query: Query = {
    t: tags.length ? tags : undefined,
    securityopt: securityOpt.length ? securityOpt : undefined,
    extrahosts: hosts.length ? hosts : undefined,
    q: o['quiet'] ? true : undefined,
    nocache: o['noCache'] ? true : undefined,
    rm: o['rm'] === false ? false : undefined,
    forcerm: o['forceRm'] ? true : undefined,
    pull: o['pull'] ? true : undefined,
    squash: o['squash'] ? true : undefined,
    isolation: isolation && isolation !== 'default' ? isolation : undefined,
    cpusetcpus: str(o, 'cpusetCpus') || undefined,
    networkmode: network && network !== 'default' ? network : undefined,
    cpusetmems: str(o, 'cpusetMems') || undefined,
    cpushares: nonZero(o['cpuShares']),
    cpuquota: nonZero(o['cpuQuota']),
    cpuperiod: nonZero(o['cpuPeriod']),
    memory: nonZero(size(o, 'memory', '-m, --memory')),
    memswap: nonZero(size(o, 'memorySwap', '--memory-swap', true)),
    cgroupparent: str(o, 'cgroupParent') || undefined,
    shmsize: nonZero(size(o, 'shmSize', '--shm-size')),
    target: str(o, 'target') || undefined,
    ulimits: json(ulimits, ulimits.length > 0),
    buildargs: json(args, Object.keys(args).length > 0),
    labels: json(labels, Object.keys(labels).length > 0),
    cachefrom: json(cacheFrom, cacheFrom.length > 0),
    platform: platform ? platform.toLowerCase() : undefined,
    version: '1',
  };
  return { query, dockerfile: str(o, 'file'), quiet: !!o['quiet'], compress: !!o['compress'], iidfile: str(o, 'iidfile') };
}

/**
 * X-Registry-Config: every registry's stored credentials (base64url JSON
 * keyed by registry), so FROM can pull private images; `{}` without any.
 */
export function registryConfigHeader(config: ConfigFile): string {
  const out: Record<string, object> = {};
  for (const key of Object.keys(config.auths ?? {})) {
    const a = lookupAuth(config, key);
    if (a) out[key] = { ...a, serveraddress: key };
  }
  // base64.URLEncoding: URL alphabet, with padding.
  return Buffer.from(JSON.stringify(out)).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/**
 * berthd: parses its flags, starts the daemon, and stops it on SIGTERM/SIGINT.
 */
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';
import { messageOf } from '../errdefs/errdefs.js';
import { createLogger, type Logger } from '../util/log.js';
import { BERTH_VERSION } from './build-info.js';
import { DEFAULT_BRIDGE, Daemon, type DaemonConfig } from './daemon.js';
import { DEFAULT_CERTS_DIR, parseRegistrySettings, type RegistrySettings } from '../image/registry/service.js';
import { DEFAULT_MAX_LAYER_BYTES, DEFAULT_MAX_LAYER_ENTRIES } from '../image/unpack.js';

/** Registry flags, checked now so that a bad one stops berthd before it starts. */
function checkedRegistrySettings(r: RegistrySettings): RegistrySettings {
  parseRegistrySettings(r);
  return r;
}

/** A size as Docker's RAMInBytes reads it: bytes, or a binary k/m/g/t suffix (optionally with b). */
function sizeInBytes(flag: string, v: string): number {
  const m = /^(\d+)(?:([kmgt])b?|b)?$/i.exec(v.trim());
  const n = m ? Number(m[1]) * 1024 ** ' kmgt'.indexOf((m[2] ?? ' ').toLowerCase()) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`invalid ${flag} ${JSON.stringify(v)}: use a number of bytes, optionally with k, m, g or t`);
  return n;
}

function positiveInt(flag: string, v: string): number {
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`invalid ${flag} ${JSON.stringify(v)}: use a positive whole number`);
  return n;
}

const USAGE = `Usage:  berthd [OPTIONS]

A Docker-compatible container engine daemon.

Options:
      --root DIR             Root of persistent state (default "/var/lib/berth")
      --exec-root DIR        Root of runtime state (default "/run/berth")
      --socket PATH          API socket (default "/run/berth/berth.sock");
                             "unix://PATH" is accepted too
      --bridge-subnet CIDR   Subnet of the default bridge (default 172.17.0.0/16,
                             or the next free /16 when that one is in use)
      --bridge-name NAME     Device name of the default bridge (default "berth0")
      --registry-mirror URL  A Docker Hub mirror to pull from first (repeatable)
      --insecure-registry R  A registry (host[:port] or CIDR) that may be reached
                             over plain HTTP (repeatable; 127.0.0.0/8 always is)
      --certs-dir DIR        Per-registry certificates: DIR/<host[:port]>/*.crt
                             (CAs), *.cert + *.key (client) (default
                             "/etc/docker/certs.d")
      --max-layer-size SIZE  Largest unpacked image layer (sum of its files;
                             bytes, or with k, m, g, t) (default 64g)
      --max-layer-entries N  Most entries in one image layer (default 1000000)
  -D, --debug                Debug logging, with per-request timings
  -v, --version              Print the version and exit
  -h, --help                 Print this help and exit
`;

function parse(argv: string[]): DaemonConfig | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      root: { type: 'string', default: '/var/lib/berth' },
      'exec-root': { type: 'string', default: '/run/berth' },
      socket: { type: 'string', short: 'H', default: '/run/berth/berth.sock' },
      'bridge-subnet': { type: 'string' },
      'bridge-name': { type: 'string', default: DEFAULT_BRIDGE },
      'registry-mirror': { type: 'string', multiple: true, default: [] },
      'insecure-registry': { type: 'string', multiple: true, default: [] },
      'certs-dir': { type: 'string', default: DEFAULT_CERTS_DIR },
      'max-layer-size': { type: 'string' },
      'max-layer-entries': { type: 'string' },
      debug: { type: 'boolean', short: 'D', default: false },
      version: { type: 'boolean', short: 'v', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return undefined;
  }
  if (values.version) {
    process.stdout.write(`berthd version ${BERTH_VERSION}\n`);
    return undefined;
  }
  return {
    root: values.root!,
    execRoot: values['exec-root']!,
    socket: values.socket!.replace(/^unix:\/\//, ''),
    ...(values['bridge-subnet'] ? { bridgeSubnet: values['bridge-subnet'] } : {}),
    bridgeName: values['bridge-name']!,
    debug: values.debug!,
    layerLimits: {
      maxBytes: values['max-layer-size'] === undefined ? DEFAULT_MAX_LAYER_BYTES : sizeInBytes('--max-layer-size', values['max-layer-size']),
      maxEntries: values['max-layer-entries'] === undefined ? DEFAULT_MAX_LAYER_ENTRIES : positiveInt('--max-layer-entries', values['max-layer-entries']),
    },
    registry: checkedRegistrySettings({
      mirrors: values['registry-mirror'] ?? [],
      insecure: values['insecure-registry'] ?? [],
      certsDir: values['certs-dir']!,
    }),
  };
}

async function main(): Promise<void> {
  let cfg: DaemonConfig | undefined;
  try {
    cfg = parse(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`berthd: ${messageOf(e)}\nSee 'berthd --help'.\n`);
    process.exit(125);
  }
  if (!cfg) return;
  if (process.getuid?.() !== 0) {
    process.stderr.write('berthd: must run as root (it mounts filesystems and manages network devices)\n');
    process.exit(1);
  }
  const log = createLogger({ debug: cfg.debug });
  let daemon: Daemon;
  try {
    daemon = await Daemon.start(cfg, log);
  } catch (e) {
    log.error('berthd failed to start', { err: messageOf(e) });
    process.exit(1);
  }
  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal: sig });
    daemon.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        log.error('error while stopping', { err: messageOf(e) });
        process.exit(1);
      },
    );
  };
  // A bug in one request must not take the daemon (and its API) down.
  process.on('unhandledRejection', (e) => log.error('unhandled rejection', { err: e instanceof Error ? (e.stack ?? e.message) : String(e) }));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGUSR2', () => logMemory(log));
}

/**
 * SIGUSR2: the daemon's memory after a full garbage collection, in the log
 * (an operator's leak check; the soak test reads it). V8 collects lazily, so
 * RSS alone says little about what the daemon still holds.
 */
function logMemory(log: Logger): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
  const m = process.memoryUsage();
  const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
  log.info('memory after a full collection', { rssMB: mb(m.rss), heapUsedMB: mb(m.heapUsed), heapTotalMB: mb(m.heapTotal), externalMB: mb(m.external), arrayBuffersMB: mb(m.arrayBuffers) });
}

void main();

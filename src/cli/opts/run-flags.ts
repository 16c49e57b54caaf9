/** The options of `docker run` / `docker create` (docker 28), with docker's help texts, sorted by long name as cobra lists them. */
import type { OptSpec } from '../command.js';

const FORMAT_NOTE_MAP = ' (default map[])';
const FORMAT_NOTE_LIST = ' (default [])';

const CGROUPNS_HELP = `Cgroup namespace to use (host|private)
'host':    Run the container in the Docker host's cgroup namespace
'private': Run the container in its own private cgroup namespace
'':        Use the cgroup namespace as configured by the
           default-cgroupns-mode option on the daemon (default)`;

/** Every option `docker create` accepts (docker 28), with docker's help texts. */
export const CREATE_OPTIONS: OptSpec[] = [
  { flags: '--add-host', arg: 'list', desc: 'Add a custom host-to-IP mapping (host:ip)', repeat: true },
  { flags: '--annotation', arg: 'map', desc: 'Add an annotation to the container (passed through to the OCI runtime)' + FORMAT_NOTE_MAP, repeat: true },
  { flags: '-a, --attach', arg: 'list', desc: 'Attach to STDIN, STDOUT or STDERR', repeat: true },
  { flags: '--blkio-weight', arg: 'uint16', desc: 'Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)' },
  { flags: '--blkio-weight-device', arg: 'list', desc: 'Block IO weight (relative device weight)' + FORMAT_NOTE_LIST, repeat: true },
  { flags: '--cap-add', arg: 'list', desc: 'Add Linux capabilities', repeat: true },
  { flags: '--cap-drop', arg: 'list', desc: 'Drop Linux capabilities', repeat: true },
  { flags: '--cgroup-parent', arg: 'string', desc: 'Optional parent cgroup for the container' },
  { flags: '--cgroupns', arg: 'string', desc: CGROUPNS_HELP },
  { flags: '--cidfile', arg: 'string', desc: 'Write the container ID to the file' },
  { flags: '--cpu-count', arg: 'int', desc: 'CPU count (Windows only)' },
  { flags: '--cpu-percent', arg: 'int', desc: 'CPU percent (Windows only)' },
  { flags: '--cpu-period', arg: 'int', desc: 'Limit CPU CFS (Completely Fair Scheduler) period' },
  { flags: '--cpu-quota', arg: 'int', desc: 'Limit CPU CFS (Completely Fair Scheduler) quota' },
  { flags: '--cpu-rt-period', arg: 'int', desc: 'Limit CPU real-time period in microseconds' },
  { flags: '--cpu-rt-runtime', arg: 'int', desc: 'Limit CPU real-time runtime in microseconds' },
  { flags: '-c, --cpu-shares', arg: 'int', desc: 'CPU shares (relative weight)' },
  { flags: '--cpus', arg: 'decimal', desc: 'Number of CPUs' },
  { flags: '--cpuset-cpus', arg: 'string', desc: 'CPUs in which to allow execution (0-3, 0,1)' },
  { flags: '--cpuset-mems', arg: 'string', desc: 'MEMs in which to allow execution (0-3, 0,1)' },
  { flags: '--device', arg: 'list', desc: 'Add a host device to the container', repeat: true },
  { flags: '--device-cgroup-rule', arg: 'list', desc: 'Add a rule to the cgroup allowed devices list', repeat: true },
  { flags: '--device-read-bps', arg: 'list', desc: 'Limit read rate (bytes per second) from a device' + FORMAT_NOTE_LIST, repeat: true },
  { flags: '--device-read-iops', arg: 'list', desc: 'Limit read rate (IO per second) from a device' + FORMAT_NOTE_LIST, repeat: true },
  { flags: '--device-write-bps', arg: 'list', desc: 'Limit write rate (bytes per second) to a device' + FORMAT_NOTE_LIST, repeat: true },
  { flags: '--device-write-iops', arg: 'list', desc: 'Limit write rate (IO per second) to a device' + FORMAT_NOTE_LIST, repeat: true },
  { flags: '--disable-content-trust', desc: 'Skip image verification', default: true },
  { flags: '--dns', arg: 'list', desc: 'Set custom DNS servers', repeat: true },
  { flags: '--dns-opt', arg: 'list', desc: 'Set DNS options', repeat: true, hidden: true },
  { flags: '--dns-option', arg: 'list', desc: 'Set DNS options', repeat: true },
  { flags: '--dns-search', arg: 'list', desc: 'Set custom DNS search domains', repeat: true },
  { flags: '--domainname', arg: 'string', desc: 'Container NIS domain name' },
  { flags: '--entrypoint', arg: 'string', desc: 'Overwrite the default ENTRYPOINT of the image' },
  { flags: '-e, --env', arg: 'list', desc: 'Set environment variables', repeat: true },
  { flags: '--env-file', arg: 'list', desc: 'Read in a file of environment variables', repeat: true },
  { flags: '--expose', arg: 'list', desc: 'Expose a port or a range of ports', repeat: true },
  { flags: '--gpus', arg: 'gpu-request', desc: "GPU devices to add to the container ('all' to pass all GPUs)", repeat: true },
  { flags: '--group-add', arg: 'list', desc: 'Add additional groups to join', repeat: true },
  { flags: '--health-cmd', arg: 'string', desc: 'Command to run to check health' },
  { flags: '--health-interval', arg: 'duration', desc: 'Time between running the check (ms|s|m|h) (default 0s)' },
  { flags: '--health-retries', arg: 'int', desc: 'Consecutive failures needed to report unhealthy' },
  { flags: '--health-start-interval', arg: 'duration', desc: 'Time between running the check during the start period (ms|s|m|h) (default 0s)' },
  { flags: '--health-start-period', arg: 'duration', desc: 'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)' },
  { flags: '--health-timeout', arg: 'duration', desc: 'Maximum time to allow one check to run (ms|s|m|h) (default 0s)' },
  { flags: '-h, --hostname', arg: 'string', desc: 'Container host name' },
  { flags: '--init', desc: 'Run an init inside the container that forwards signals and reaps processes' },
  { flags: '-i, --interactive', desc: 'Keep STDIN open even if not attached' },
  { flags: '--io-maxbandwidth', arg: 'bytes', desc: 'Maximum IO bandwidth limit for the system drive (Windows only)' },
  { flags: '--io-maxiops', arg: 'uint', desc: 'Maximum IOps limit for the system drive (Windows only)' },
  { flags: '--ip', arg: 'string', desc: 'IPv4 address (e.g., 172.30.100.104)' },
  { flags: '--ip6', arg: 'string', desc: 'IPv6 address (e.g., 2001:db8::33)' },
  { flags: '--ipc', arg: 'string', desc: 'IPC mode to use' },
  { flags: '--isolation', arg: 'string', desc: 'Container isolation technology' },
  { flags: '--kernel-memory', arg: 'bytes', desc: 'Kernel memory limit' },
  { flags: '-l, --label', arg: 'list', desc: 'Set meta data on a container', repeat: true },
  { flags: '--label-file', arg: 'list', desc: 'Read in a line delimited file of labels', repeat: true },
  { flags: '--link', arg: 'list', desc: 'Add link to another container', repeat: true },
  { flags: '--link-local-ip', arg: 'list', desc: 'Container IPv4/IPv6 link-local addresses', repeat: true },
  { flags: '--log-driver', arg: 'string', desc: 'Logging driver for the container' },
  { flags: '--log-opt', arg: 'list', desc: 'Log driver options', repeat: true },
  { flags: '--mac-address', arg: 'string', desc: 'Container MAC address (e.g., 92:d0:c6:0a:29:33)' },
  { flags: '-m, --memory', arg: 'bytes', desc: 'Memory limit' },
  { flags: '--memory-reservation', arg: 'bytes', desc: 'Memory soft limit' },
  { flags: '--memory-swap', arg: 'bytes', desc: "Swap limit equal to memory plus swap: '-1' to enable unlimited swap" },
  { flags: '--memory-swappiness', arg: 'int', desc: 'Tune container memory swappiness (0 to 100)', default: -1 },
  { flags: '--mount', arg: 'mount', desc: 'Attach a filesystem mount to the container', repeat: true },
  { flags: '--name', arg: 'string', desc: 'Assign a name to the container' },
  { flags: '--net', arg: 'network', desc: 'Connect a container to a network', repeat: true, hidden: true },
  { flags: '--net-alias', arg: 'list', desc: 'Add network-scoped alias for the container', repeat: true, hidden: true },
  { flags: '--network', arg: 'network', desc: 'Connect a container to a network', repeat: true },
  { flags: '--network-alias', arg: 'list', desc: 'Add network-scoped alias for the container', repeat: true },
  { flags: '--no-healthcheck', desc: 'Disable any container-specified HEALTHCHECK' },
  { flags: '--oom-kill-disable', desc: 'Disable OOM Killer' },
  { flags: '--oom-score-adj', arg: 'int', desc: "Tune host's OOM preferences (-1000 to 1000)" },
  { flags: '--pid', arg: 'string', desc: 'PID namespace to use' },
  { flags: '--pids-limit', arg: 'int', desc: 'Tune container pids limit (set -1 for unlimited)' },
  { flags: '--platform', arg: 'string', desc: 'Set platform if server is multi-platform capable' },
  { flags: '--privileged', desc: 'Give extended privileges to this container' },
  { flags: '-p, --publish', arg: 'list', desc: "Publish a container's port(s) to the host", repeat: true },
  { flags: '-P, --publish-all', desc: 'Publish all exposed ports to random ports' },
  // docker's own typo: "|missing".
  { flags: '--pull', arg: 'string', desc: 'Pull image before creating ("always", "|missing", "never")', default: 'missing' },
  { flags: '-q, --quiet', desc: 'Suppress the pull output' },
  { flags: '--read-only', desc: "Mount the container's root filesystem as read only" },
  { flags: '--restart', arg: 'string', desc: 'Restart policy to apply when a container exits', default: 'no' },
  { flags: '--rm', desc: 'Automatically remove the container and its associated anonymous volumes when it exits' },
  { flags: '--runtime', arg: 'string', desc: 'Runtime to use for this container' },
  { flags: '--security-opt', arg: 'list', desc: 'Security Options', repeat: true },
  { flags: '--shm-size', arg: 'bytes', desc: 'Size of /dev/shm' },
  { flags: '--stop-signal', arg: 'string', desc: 'Signal to stop the container' },
  { flags: '--stop-timeout', arg: 'int', desc: 'Timeout (in seconds) to stop a container' },
  { flags: '--storage-opt', arg: 'list', desc: 'Storage driver options for the container', repeat: true },
  { flags: '--sysctl', arg: 'map', desc: 'Sysctl options' + FORMAT_NOTE_MAP, repeat: true },
  { flags: '--tmpfs', arg: 'list', desc: 'Mount a tmpfs directory', repeat: true },
  { flags: '-t, --tty', desc: 'Allocate a pseudo-TTY' },
  { flags: '--ulimit', arg: 'ulimit', desc: 'Ulimit options' + FORMAT_NOTE_LIST, repeat: true },
  { flags: '--use-api-socket', desc: 'Bind mount Docker API socket and required auth' },
  { flags: '-u, --user', arg: 'string', desc: 'Username or UID (format: <name|uid>[:<group|gid>])' },
  { flags: '--userns', arg: 'string', desc: 'User namespace to use' },
  { flags: '--uts', arg: 'string', desc: 'UTS namespace to use' },
  { flags: '-v, --volume', arg: 'list', desc: 'Bind mount a volume', repeat: true },
  { flags: '--volume-driver', arg: 'string', desc: 'Optional volume driver for the container' },
  { flags: '--volumes-from', arg: 'list', desc: 'Mount volumes from the specified container(s)', repeat: true },
  { flags: '-w, --workdir', arg: 'string', desc: 'Working directory inside the container' },
];

/** The options only `docker run` has. */
export const RUN_ONLY_OPTIONS: OptSpec[] = [
  { flags: '-d, --detach', desc: 'Run container in background and print container ID' },
  { flags: '--detach-keys', arg: 'string', desc: 'Override the key sequence for detaching a container' },
  { flags: '--sig-proxy', desc: 'Proxy received signals to the process', default: true },
];

export const longName = (o: OptSpec): string => /--([\w-]+)/.exec(o.flags)?.[1] ?? '';

/**
 * All options of `docker run`, sorted as its help lists them (run's --pull
 * help text differs from create's: "Pull image before running").
 */
export const RUN_OPTIONS: OptSpec[] = [
  ...CREATE_OPTIONS.map((o) => (longName(o) === 'pull' ? { ...o, desc: 'Pull image before running ("always", "missing", "never")' } : o)),
  ...RUN_ONLY_OPTIONS,
].sort((a, b) => (longName(a) < longName(b) ? -1 : longName(a) > longName(b) ? 1 : 0));

/** The declaration of a run/create option by its long name (other commands reuse docker's texts). */
export function runFlag(long: string): OptSpec {
  const spec = CREATE_OPTIONS.find((o) => longName(o) === long);
  if (!spec) throw new Error(`run has no --${long} option`);
  return spec;
}

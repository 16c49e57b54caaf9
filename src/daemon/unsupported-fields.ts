/**
 * Fields of Docker's container bodies that berth does not implement: a body
 * that sets one is refused with a 400 naming it and saying why, rather than
 * accepted and ignored (a script would believe it got what it asked).
 * Clients send every field of Go's structs, zero values included (the docker
 * CLI's update body has all of Resources), so only a value that is set
 * counts: not null, 0, "", false, [] or {}.
 */
import { invalidParameter } from '../errdefs/errdefs.js';

/** Why berth lacks each field (the README's list "What berth refuses that Docker accepts" says the same). */
export const UNSUPPORTED_HOST_CONFIG: Readonly<Record<string, string>> = {
  BlkioWeightDevice: 'per-device block-IO weights are not applied by berth (BlkioWeight is)',
  BlkioDeviceReadBps: 'block-IO throttling is not applied by berth',
  BlkioDeviceWriteBps: 'block-IO throttling is not applied by berth',
  BlkioDeviceReadIOps: 'block-IO throttling is not applied by berth',
  BlkioDeviceWriteIOps: 'block-IO throttling is not applied by berth',
  CpuRealtimePeriod: 'real-time CPU scheduling needs a real-time budget that berth does not give its cgroups',
  CpuRealtimeRuntime: 'real-time CPU scheduling needs a real-time budget that berth does not give its cgroups',
  StorageOpt: "berth's overlay store has no per-container size quota",
  DeviceRequests: 'berth has no device drivers (such as GPUs) to satisfy device requests; use Devices',
  CpuCount: 'a Windows-only limit',
  CpuPercent: 'a Windows-only limit',
  IOMaximumIOps: 'a Windows-only limit',
  IOMaximumBandwidth: 'a Windows-only limit',
  KernelMemory: 'kernel memory limits are deprecated and not applied by berth',
  KernelMemoryTCP: 'kernel memory limits are not applied by berth',
  Cgroup: 'joining another container\'s cgroup is not supported by berth',
};

/** Resources fields `POST /containers/{id}/update` applies. */
export const UPDATABLE = new Set([
  'Memory', 'MemorySwap', 'MemoryReservation', 'NanoCpus', 'CpuShares', 'CpuQuota', 'CpuPeriod',
  'CpusetCpus', 'CpusetMems', 'PidsLimit', 'BlkioWeight', 'RestartPolicy',
]);

export function isSet(v: unknown): boolean {
  if (v === undefined || v === null || v === 0 || v === '' || v === false) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

/** Refuses a create's HostConfig that sets a field berth does not implement. */
export function refuseUnsupportedHostConfig(h: Readonly<Record<string, unknown>>): void {
  for (const [field, why] of Object.entries(UNSUPPORTED_HOST_CONFIG)) {
    if (isSet(h[field])) throw invalidParameter(`HostConfig.${field} is not supported: ${why}`);
  }
}

/** Refuses an update body that sets a field other than those update applies. */
export function refuseUnupdatable(body: Readonly<Record<string, unknown>>): void {
  for (const [field, v] of Object.entries(body)) {
    if (!UPDATABLE.has(field) && isSet(v)) {
      throw invalidParameter(`${field} cannot be updated on a container: berth's update applies ${[...UPDATABLE].join(', ')}; recreate the container to change it`);
    }
  }
}

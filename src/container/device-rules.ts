/** `--device-cgroup-rule` (HostConfig.DeviceCgroupRules): the syntax dockerd accepts, parsed for the OCI spec. */
import { invalidParameter } from '../errdefs/errdefs.js';

/** dockerd's device cgroup rule syntax: type, major:minor (or *), access. */
const DEVICE_RULE = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/;

export interface DeviceRule {
  type: 'a' | 'b' | 'c';
  major: number;
  minor: number;
  access: string;
}

/** A rule as the OCI spec wants it (-1 for a wildcard). Throws InvalidParameter. */
export function parseDeviceCgroupRule(rule: string): DeviceRule {
  const m = DEVICE_RULE.exec(rule);
  if (!m) throw invalidParameter(`invalid device cgroup format '${rule}'`);
  const num = (s: string) => (s === '*' ? -1 : Number(s));
  return { type: m[1] as DeviceRule['type'], major: num(m[2]!), minor: num(m[3]!), access: m[4]! };
}


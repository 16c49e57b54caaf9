/**
 * Linux capabilities as Docker computes them for a container: the 14 defaults,
 * `--cap-add` / `--cap-drop` (names case-insensitive, with or without the CAP_
 * prefix, and the magic "ALL"), and `--privileged` (every capability).
 * Same rules as moby's daemon/pkg/oci/caps (TweakCapabilities).
 */
import { invalidParameter } from '../../errdefs/errdefs.js';

/** Docker's default capability set, in Docker's order. */
export const DEFAULT_CAPABILITIES: readonly string[] = Object.freeze([
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
]);

/**
 * Every capability the Linux kernel defines (0 … CAP_CHECKPOINT_RESTORE = 40,
 * unchanged up to kernel 6.x), in number order. Docker uses the capabilities of
 * its own process for "ALL" and --privileged; the builder is pure, so the daemon
 * passes those in when they differ (SpecInput.hostCapabilities), else this list.
 */
export const ALL_CAPABILITIES: readonly string[] = Object.freeze([
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
]);

const KNOWN = new Set(ALL_CAPABILITIES);

/**
 * Upper-cases, adds the CAP_ prefix and validates (moby's
 * NormalizeLegacyCapabilities). "ALL" is kept as is. Throws InvalidParameter
 * `unknown capability: "CAP_X"` (Docker's text), or `capability not supported by
 * your kernel or not available in the current environment: "CAP_X"` when the
 * name is known but missing from `available`.
 */
export function normalizeCapabilities(caps: readonly string[], available: readonly string[] = ALL_CAPABILITIES): string[] {
  const out: string[] = [];
  for (const raw of caps) {
    let c = raw.toUpperCase();
    if (c === 'ALL') {
      out.push(c);
      continue;
    }
    if (!c.startsWith('CAP_')) c = `CAP_${c}`;
    if (!KNOWN.has(c)) throw invalidParameter(`unknown capability: "${c}"`);
    if (!available.includes(c)) {
      throw invalidParameter(`capability not supported by your kernel or not available in the current environment: "${c}"`);
    }
    out.push(c);
  }
  return out;
}

/**
 * The container's capability set (moby's TweakCapabilities):
 * - privileged: every available capability;
 * - cap-add contains ALL: every available capability except those in cap-drop;
 * - cap-drop contains ALL: exactly cap-add;
 * - otherwise: the defaults minus cap-drop, plus cap-add.
 * Duplicates are removed (first occurrence kept).
 */
export function tweakCapabilities(
  capAdd: readonly string[],
  capDrop: readonly string[],
  privileged: boolean,
  available: readonly string[] = ALL_CAPABILITIES,
  basics: readonly string[] = DEFAULT_CAPABILITIES,
): string[] {
  if (privileged) return [...available];
  if (capAdd.length === 0 && capDrop.length === 0) return [...basics];
  const drop = normalizeCapabilities(capDrop, available);
  const add = normalizeCapabilities(capAdd, available);
  let caps: string[];
  if (add.includes('ALL')) {
    caps = available.filter((c) => !drop.includes(c));
  } else if (drop.includes('ALL')) {
    caps = add;
  } else {
    caps = [...basics.filter((c) => !drop.includes(c)), ...add];
  }
  return [...new Set(caps)];
}

/**
 * Capability names from a /proc/<pid>/status mask ("CapBnd:\t000001fffeffffff"
 * → the hex part), in number order; bits beyond the known capabilities are
 * ignored. The daemon uses it to pass its own bounding set as
 * SpecInput.hostCapabilities (the builder itself reads nothing).
 */
export function capabilitiesFromMask(hex: string): string[] {
  if (!/^[0-9a-fA-F]{1,16}$/.test(hex)) throw invalidParameter(`invalid capability mask: "${hex}"`);
  const mask = BigInt(`0x${hex}`);
  return ALL_CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

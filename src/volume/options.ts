/**
 * The local driver's options (`docker volume create -o k=v`), checked as
 * Docker's local driver checks them (daemon/volume/local/local_unix.go):
 *
 *   type, device, o   a volume that is a mount: `device` mounted at `_data`
 *                     with filesystem `type` and mount options `o`
 *                     (`-o type=tmpfs -o device=tmpfs -o o=size=100m,uid=1000`).
 *                     Docker requires type and device together, and both with o.
 *   size              Docker's quota option; 0 is accepted, anything else is
 *                     refused (berth has no quota support, as Docker without xfs quotas).
 *   uid, gid, mode    berth's extension (moby #7198, #21259): owner and
 *                     permission bits of `_data` of a plain volume, set at creation.
 *
 * Everything else is refused with Docker's `invalid option: "x"`. Errors are
 * plain messages; the service adds `create NAME: ` as Docker's volume store does.
 */
import { invalidParameter } from '../errdefs/errdefs.js';

export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

/** What a volume's options mean for the driver. */
export interface LocalOptions {
  /** Set for a volume that is a mount: what acquire mounts at `_data`. */
  mount?: { type: string; device: string; options: string[] };
  uid?: number;
  gid?: number;
  mode?: number;
}

const VALID = new Set(['type', 'o', 'device', 'size', 'uid', 'gid', 'mode']);
/** Docker's mandatoryOpts, checked in this order (Docker's map order is random). */
const MANDATORY: ReadonlyArray<[string, string[]]> = [
  ['device', ['type']],
  ['type', ['device']],
  ['o', ['device', 'type']],
];
const MAX_ID = 4294967294;

/** Checks driver options and says what they mean; throws InvalidParameter with Docker's texts. */
export function parseLocalOptions(opts: Readonly<Record<string, string>> | null | undefined): LocalOptions {
  const o = opts ?? {};
  const keys = Object.keys(o);
  if (keys.length === 0) return {};
  for (const k of keys) if (!VALID.has(k)) throw invalidParameter(`invalid option: ${goQuote(k)}`);
  if (o['size'] !== undefined) {
    const size = ramInBytes(o['size']);
    if (size > 0) throw invalidParameter('quota size requested but no quota support');
  }
  for (const [k, required] of MANDATORY) {
    if (!(k in o)) continue;
    for (const r of required) if (!(r in o)) throw invalidParameter(`missing required option: ${goQuote(r)}`);
  }
  const out: LocalOptions = {};
  const isMount = !!(o['type'] || o['device']);
  const ownerKeys = ['uid', 'gid', 'mode'].filter((k) => k in o);
  if (isMount && ownerKeys.length) {
    throw invalidParameter(
      `option ${goQuote(ownerKeys[0]!)} sets the owner or mode of a plain volume; a volume with "type" and "device" takes them in "o" (e.g. o=uid=1000,gid=1000,mode=0755)`,
    );
  }
  if (isMount) {
    out.mount = {
      type: o['type'] ?? '',
      device: o['device'] ?? '',
      options: (o['o'] ?? '').split(',').filter((s) => s !== ''),
    };
  }
  if (o['uid'] !== undefined) out.uid = parseId('uid', o['uid']);
  if (o['gid'] !== undefined) out.gid = parseId('gid', o['gid']);
  if (o['mode'] !== undefined) {
    if (!/^[0-7]{1,5}$/.test(o['mode']) || Number.parseInt(o['mode'], 8) > 0o7777) {
      throw invalidParameter(`invalid mode: ${goQuote(o['mode'])}: use octal permission bits such as 0755`);
    }
    out.mode = Number.parseInt(o['mode'], 8);
  }
  return out;
}

function parseId(key: string, v: string): number {
  if (!/^\d{1,10}$/.test(v) || Number(v) > MAX_ID) throw invalidParameter(`invalid ${key}: ${goQuote(v)}: use a number from 0 to ${MAX_ID}`);
  return Number(v);
}

/** docker/go-units RAMInBytes ("512m", "1g", "100k", "1.5GiB"), binary multiples. */
export function ramInBytes(s: string): number {
  const m = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i.exec(s);
  if (!m) throw invalidParameter(`invalid size: '${s}'`);
  const exp = m[2] ? 'kmgtp'.indexOf(m[2].toLowerCase()) + 1 : 0;
  return Math.trunc(Number(m[1]) * 1024 ** exp);
}

/** Go's %q for the plain strings that appear here. */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** Docker's volume name rule (daemon/names.RestrictedNamePattern). */
export const NAME_CHARS = '[a-zA-Z0-9][a-zA-Z0-9_.-]';
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Throws InvalidParameter with Docker's local-driver texts when name is not a valid volume name. */
export function validateVolumeName(name: string): void {
  if (name.length === 1) throw invalidParameter('volume name is too short, names should be at least two alphanumeric characters');
  if (!NAME_RE.test(name)) {
    throw invalidParameter(
      `${goQuote(name)} includes invalid characters for a local volume name, only ${goQuote(NAME_CHARS)} are allowed. If you intended to pass a host directory, use absolute path`,
    );
  }
}

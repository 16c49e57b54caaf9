/** --mount (opts.MountOpt) and -v (the compose loader's ParseVolume). */
import { isAbsolute, resolve } from 'node:path';
import type { MountSpec } from '../../api/types/containers.js';
import { parseGoBool, ramInBytes, readCSVRecord } from './goparse.js';
import { cut } from './kv.js';
import type { RunMount } from './run-types.js';

/** filepath.Abs for paths starting with "." (docker resolves only those). */
export function absIfDotRelative(p: string): string {
  return !isAbsolute(p) && p.startsWith('.') ? resolve(p) : p;
}

const volumeOptions = (m: RunMount): NonNullable<MountSpec['VolumeOptions']> => (m.VolumeOptions ??= {});
const bindOptions = (m: RunMount): NonNullable<MountSpec['BindOptions']> => (m.BindOptions ??= {});
const tmpfsOptions = (m: RunMount): NonNullable<MountSpec['TmpfsOptions']> => (m.TmpfsOptions ??= {});

/** `k=v` into a map; an empty key is dropped. */
function setOnMap(target: Record<string, string>, v: string): void {
  const [k, val] = cut(v, '=');
  if (k !== '') target[k] = val;
}

/** A field's value through parse, or docker's "invalid value for KEY: VALUE". */
function valueOf<T>(key: string, val: string, parse: (v: string) => T): T {
  try {
    return parse(val);
  } catch {
    throw new Error(`invalid value for ${key}: ${val}`);
  }
}

type FieldSetter = (m: RunMount, val: string, key: string) => void;

const BIND_RECURSIVE: Record<string, (b: NonNullable<MountSpec['BindOptions']>) => void> = {
  enabled: () => {},
  disabled: (b) => (b.NonRecursive = true),
  writable: (b) => (b.ReadOnlyNonRecursive = true),
  readonly: (b) => (b.ReadOnlyForceRecursive = true),
};

/** The `key=value` fields of --mount (keys lower-cased). */
const MOUNT_FIELDS: Record<string, FieldSetter> = {
  type: (m, v) => (m.Type = v.toLowerCase() as MountSpec['Type']),
  source: (m, v) => (m.Source = absIfDotRelative(v)),
  target: (m, v) => (m.Target = v),
  readonly: (m, v, k) => (m.ReadOnly = valueOf(k, v, parseGoBool)),
  consistency: (m, v) => (m.Consistency = v.toLowerCase()),
  'bind-propagation': (m, v) => (bindOptions(m).Propagation = v.toLowerCase()),
  'bind-nonrecursive': (m, v, k) => (bindOptions(m).NonRecursive = valueOf(k, v, parseGoBool)),
  'bind-recursive': (m, v, k) => {
    const set = BIND_RECURSIVE[v];
    if (!set) throw new Error(`invalid value for ${k}: ${v} (must be "enabled", "disabled", "writable", or "readonly")`);
    set(bindOptions(m));
  },
  'volume-subpath': (m, v) => (volumeOptions(m).Subpath = v),
  'volume-nocopy': (m, v, k) => (volumeOptions(m).NoCopy = valueOf(k, v, parseGoBool)),
  'volume-label': (m, v) => setOnMap((volumeOptions(m).Labels ??= {}), v),
  'volume-driver': (m, v) => ((volumeOptions(m).DriverConfig ??= {}).Name = v),
  'volume-opt': (m, v) => setOnMap(((volumeOptions(m).DriverConfig ??= {}).Options ??= {}), v),
  'image-subpath': (m, v) => ((m.ImageOptions ??= {}).Subpath = v),
  'tmpfs-size': (m, v, k) => (tmpfsOptions(m).SizeBytes = valueOf(k, v, ramInBytes)),
  'tmpfs-mode': (m, v, k) => {
    if (!/^[0-7]+$/.test(v) || parseInt(v, 8) > 0xffffffff) throw new Error(`invalid value for ${k}: ${v}`);
    tmpfsOptions(m).Mode = parseInt(v, 8);
  },
};
MOUNT_FIELDS['src'] = MOUNT_FIELDS['source']!;
MOUNT_FIELDS['dst'] = MOUNT_FIELDS['destination'] = MOUNT_FIELDS['target']!;
MOUNT_FIELDS['ro'] = MOUNT_FIELDS['readonly']!;

/** The fields --mount takes without a value: flags that turn an option on. */
const MOUNT_FLAGS: Record<string, (m: RunMount) => void> = {
  readonly: (m) => (m.ReadOnly = true),
  ro: (m) => (m.ReadOnly = true),
  'volume-nocopy': (m) => (volumeOptions(m).NoCopy = true),
  'bind-nonrecursive': (m) => (bindOptions(m).NonRecursive = true),
};

/** What docker's MountOpt.Set checks once every field is read. */
function checkMount(mount: RunMount): void {
  const type = mount.Type as string;
  if (type === '') throw new Error('type is required');
  if (mount.Target === '') throw new Error('target is required');
  for (const [opts, kind] of [
    [mount.VolumeOptions, 'volume'],
    [mount.ImageOptions, 'image'],
    [mount.BindOptions, 'bind'],
    [mount.TmpfsOptions, 'tmpfs'],
  ] as const) {
    if (opts && type !== kind) throw new Error(`cannot mix '${kind}-*' options with mount type '${type}'`);
  }
  const b = mount.BindOptions;
  if (b?.ReadOnlyNonRecursive && !mount.ReadOnly) throw new Error("option 'bind-recursive=writable' requires 'readonly' to be specified in conjunction");
  if (b?.ReadOnlyForceRecursive) {
    if (!mount.ReadOnly) throw new Error("option 'bind-recursive=readonly' requires 'readonly' to be specified in conjunction");
    if (b.Propagation !== 'rprivate') throw new Error("option 'bind-recursive=readonly' requires 'bind-propagation=rprivate' to be specified in conjunction");
  }
}

/** opts.MountOpt.Set: the csv syntax of --mount. */
export function parseMount(value: string): RunMount {
  const mount: RunMount = { Type: 'volume', Target: '' };
  for (const field of readCSVRecord(value)) {
    const [rawKey, val, ok] = cut(field, '=');
    const key = rawKey.toLowerCase();
    if (!ok) {
      const flag = Object.hasOwn(MOUNT_FLAGS, key) ? MOUNT_FLAGS[key] : undefined;
      if (!flag) throw new Error(`invalid field '${field}' must be a key=value pair`);
      flag(mount);
      continue;
    }
    const set = Object.hasOwn(MOUNT_FIELDS, key) ? MOUNT_FIELDS[key] : undefined;
    if (!set) throw new Error(`unexpected key '${key}' in '${field}'`);
    set(mount, val, key);
  }
  checkMount(mount);
  return mount;
}

export interface VolumeSpec {
  source: string;
  target: string;
  type: 'bind' | 'volume';
}

const isWindowsDrive = (buffer: string[], char: string): boolean => char === ':' && buffer.length === 1 && /\p{L}/u.test(buffer[0]!);

function isFilePath(source: string): boolean {
  if ('./~'.includes(source[0]!)) return true;
  const runes = [...source];
  if (runes.length === 1) return false;
  if (source.startsWith('\\\\')) return true;
  return isWindowsDrive([runes[0]!], source[runes[0]!.length] ?? '');
}

export function parseVolumeSpec(spec: string): VolumeSpec {
  const v: VolumeSpec = { source: '', target: '', type: 'volume' };
  if (spec.length === 0) throw new Error('invalid empty volume spec');
  if (spec.length <= 2) return { source: '', target: spec, type: 'volume' };
  let buffer: string[] = [];
  const END = '\u0000';
  for (const char of [...spec, END]) {
    if (isWindowsDrive(buffer, char)) buffer.push(char);
    else if (char === ':' || char === END) {
      const str = buffer.join('');
      if (buffer.length === 0) throw new Error(`invalid spec: ${spec}: empty section between colons`);
      if (v.source === '' && char === END) v.target = str;
      else if (v.source === '') v.source = str;
      else if (v.target === '') v.target = str;
      else if (char === ':') throw new Error(`invalid spec: ${spec}: too many colons`);
      buffer = [];
    } else buffer.push(char);
  }
  v.type = v.source !== '' && isFilePath(v.source) ? 'bind' : 'volume';
  return v;
}

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

/** opts.MountOpt.Set: the csv syntax of --mount. */
export function parseMount(value: string): RunMount {
  const fields = readCSVRecord(value);
  const mount: RunMount = { Type: 'volume', Target: '' };
  const volumeOptions = (): NonNullable<MountSpec['VolumeOptions']> => (mount.VolumeOptions ??= {});
  const bindOptions = (): NonNullable<MountSpec['BindOptions']> => (mount.BindOptions ??= {});
  const tmpfsOptions = (): NonNullable<MountSpec['TmpfsOptions']> => (mount.TmpfsOptions ??= {});
  const setOnMap = (target: Record<string, string>, v: string): void => {
    const [k, val] = cut(v, '=');
    if (k !== '') target[k] = val;
  };
  const bool = (key: string, val: string): boolean => {
    try {
      return parseGoBool(val);
    } catch {
      throw new Error(`invalid value for ${key}: ${val}`);
    }
  };
  for (const field of fields) {
    const [rawKey, val, ok] = cut(field, '=');
    const key = rawKey.toLowerCase();
    if (!ok) {
      switch (key) {
        case 'readonly':
        case 'ro':
          mount.ReadOnly = true;
          continue;
        case 'volume-nocopy':
          volumeOptions().NoCopy = true;
          continue;
        case 'bind-nonrecursive':
          bindOptions().NonRecursive = true;
          continue;
        default:
          throw new Error(`invalid field '${field}' must be a key=value pair`);
      }
    }
    switch (key) {
      case 'type':
        mount.Type = val.toLowerCase() as MountSpec['Type'];
        break;
      case 'source':
      case 'src':
        mount.Source = absIfDotRelative(val);
        break;
      case 'target':
      case 'dst':
      case 'destination':
        mount.Target = val;
        break;
      case 'readonly':
      case 'ro':
        mount.ReadOnly = bool(key, val);
        break;
      case 'consistency':
        mount.Consistency = val.toLowerCase();
        break;
      case 'bind-propagation':
        bindOptions().Propagation = val.toLowerCase();
        break;
      case 'bind-nonrecursive':
        bindOptions().NonRecursive = bool(key, val);
        break;
      case 'bind-recursive':
        switch (val) {
          case 'enabled':
            break;
          case 'disabled':
            bindOptions().NonRecursive = true;
            break;
          case 'writable':
            bindOptions().ReadOnlyNonRecursive = true;
            break;
          case 'readonly':
            bindOptions().ReadOnlyForceRecursive = true;
            break;
          default:
            throw new Error(`invalid value for ${key}: ${val} (must be "enabled", "disabled", "writable", or "readonly")`);
        }
        break;
      case 'volume-subpath':
        volumeOptions().Subpath = val;
        break;
      case 'volume-nocopy':
        try {
          volumeOptions().NoCopy = parseGoBool(val);
        } catch {
          throw new Error(`invalid value for volume-nocopy: ${val}`);
        }
        break;
      case 'volume-label':
        setOnMap((volumeOptions().Labels ??= {}), val);
        break;
      case 'volume-driver':
        (volumeOptions().DriverConfig ??= {}).Name = val;
        break;
      case 'volume-opt':
        setOnMap(((volumeOptions().DriverConfig ??= {}).Options ??= {}), val);
        break;
      case 'image-subpath':
        (mount.ImageOptions ??= {}).Subpath = val;
        break;
      case 'tmpfs-size':
        try {
          tmpfsOptions().SizeBytes = ramInBytes(val);
        } catch {
          throw new Error(`invalid value for ${key}: ${val}`);
        }
        break;
      case 'tmpfs-mode':
        if (!/^[0-7]+$/.test(val) || parseInt(val, 8) > 0xffffffff) throw new Error(`invalid value for ${key}: ${val}`);
        tmpfsOptions().Mode = parseInt(val, 8);
        break;
      default:
        throw new Error(`unexpected key '${key}' in '${field}'`);
    }
  }
  if ((mount.Type as string) === '') throw new Error('type is required');
  if (mount.Target === '') throw new Error('target is required');
  if (mount.VolumeOptions && mount.Type !== 'volume') throw new Error(`cannot mix 'volume-*' options with mount type '${mount.Type}'`);
  if (mount.ImageOptions && (mount.Type as string) !== 'image') throw new Error(`cannot mix 'image-*' options with mount type '${mount.Type}'`);
  if (mount.BindOptions && mount.Type !== 'bind') throw new Error(`cannot mix 'bind-*' options with mount type '${mount.Type}'`);
  if (mount.TmpfsOptions && mount.Type !== 'tmpfs') throw new Error(`cannot mix 'tmpfs-*' options with mount type '${mount.Type}'`);
  const b = mount.BindOptions;
  if (b?.ReadOnlyNonRecursive && !mount.ReadOnly) throw new Error("option 'bind-recursive=writable' requires 'readonly' to be specified in conjunction");
  if (b?.ReadOnlyForceRecursive) {
    if (!mount.ReadOnly) throw new Error("option 'bind-recursive=readonly' requires 'readonly' to be specified in conjunction");
    if (b.Propagation !== 'rprivate') throw new Error("option 'bind-recursive=readonly' requires 'bind-propagation=rprivate' to be specified in conjunction");
  }
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

/** --platform: containerd/platforms Parse, as the API client formats it for ?platform=. */
import { endianness } from 'node:os';
import { goQuote } from './goparse.js';

const KNOWN_OS = new Set(['aix', 'android', 'darwin', 'dragonfly', 'freebsd', 'hurd', 'illumos', 'ios', 'js', 'linux', 'nacl', 'netbsd', 'openbsd', 'plan9', 'solaris', 'windows', 'zos']);
const KNOWN_ARCH = new Set([
  '386', 'amd64', 'amd64p32', 'arm', 'armbe', 'arm64', 'arm64be', 'ppc64', 'ppc64le', 'loong64', 'mips', 'mipsle', 'mips64', 'mips64le',
  'mips64p32', 'mips64p32le', 'ppc', 'riscv', 'riscv64', 's390', 's390x', 'sparc', 'sparc64', 'wasm',
]);
const OS_AND_VERSION_RE = '^([A-Za-z0-9_-]+)(?:\\(([A-Za-z0-9_.-]*)\\))?$';
const SPECIFIER_RE = '^[A-Za-z0-9_.-]+$';

function normalizeArch(archIn: string, variantIn: string): [string, string] {
  let arch = archIn.toLowerCase();
  let variant = variantIn.toLowerCase();
  switch (arch) {
    case 'i386':
      arch = '386';
      variant = '';
      break;
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      arch = 'amd64';
      if (variant === 'v1') variant = '';
      break;
    case 'aarch64':
    case 'arm64':
      arch = 'arm64';
      if (['8', 'v8', 'v8.0'].includes(variant)) variant = '';
      else if (['9', '9.0', 'v9.0'].includes(variant)) variant = 'v9';
      break;
    case 'armhf':
      arch = 'arm';
      variant = 'v7';
      break;
    case 'armel':
      arch = 'arm';
      variant = 'v6';
      break;
    case 'arm':
      if (variant === '' || variant === '7') variant = 'v7';
      else if (['5', '6', '8'].includes(variant)) variant = 'v' + variant;
      break;
  }
  return [arch, variant];
}

/** Go's runtime.GOARCH of this machine. */
function hostArch(): string {
  const a: string = process.arch;
  const map: Record<string, string> = { x64: 'amd64', ia32: '386', ppc64: endianness() === 'LE' ? 'ppc64le' : 'ppc64', mipsel: 'mipsle' };
  return map[a] ?? a;
}

/**
 * containerd's platforms.Parse then the API client's formatting:
 * "amd64" → "linux/amd64", "Linux/AMD64" → "linux/amd64", "linux/arm64/v8"
 * → "linux/arm64/v8", "arm" → "linux/arm". Throws docker's
 * "error parsing specified platform: …" text.
 */
export function normalizePlatform(specifier: string): string {
  const bad = (why: string): Error => new Error(`error parsing specified platform: ${why}: invalid argument`);
  if (specifier.includes('*')) throw bad(`${goQuote(specifier)}: wildcards not yet supported`);
  const all = specifier.split('/');
  const parts = all.length > 4 ? [...all.slice(0, 3), all.slice(3).join('/')] : all;
  let os = '';
  parts.forEach((part, i) => {
    if (i === 0) {
      const m = /^([A-Za-z0-9_-]+)(?:\(([A-Za-z0-9_.-]*)\))?$/.exec(part);
      if (!m) {
        throw bad(`${goQuote(part)} is an invalid OS component of ${goQuote(specifier)}: OSAndVersion specifier component must match ${goQuote(OS_AND_VERSION_RE)}`);
      }
      os = m[1]!.toLowerCase() === 'macos' ? 'darwin' : m[1]!.toLowerCase();
    } else if (!/^[A-Za-z0-9_.-]+$/.test(part)) {
      throw bad(`${goQuote(part)} is an invalid component of ${goQuote(specifier)}: platform specifier component must match ${goQuote(SPECIFIER_RE)}`);
    }
  });
  let arch = '';
  let variant = '';
  switch (parts.length) {
    case 1:
      if (KNOWN_OS.has(os)) {
        arch = hostArch();
        break;
      }
      [arch, variant] = normalizeArch(parts[0]!, '');
      if (arch === 'arm' && variant === 'v7') variant = '';
      if (!KNOWN_ARCH.has(arch)) throw bad(`${goQuote(specifier)}: unknown operating system or architecture`);
      os = 'linux';
      break;
    case 2:
      [arch, variant] = normalizeArch(parts[1]!, '');
      if (arch === 'arm' && variant === 'v7') variant = '';
      break;
    case 3:
      [arch, variant] = normalizeArch(parts[1]!, parts[2]!);
      if (arch === 'arm64' && variant === '') variant = 'v8';
      break;
    default:
      throw bad(`${goQuote(specifier)}: cannot parse platform specifier`);
  }
  return [os, arch, variant].filter((x) => x !== '').join('/');
}

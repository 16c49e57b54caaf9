/**
 * Manifests as registries serve them: telling image manifests from indexes
 * (Docker v2 schema 2, OCI, manifest lists), verifying their digests, and
 * choosing the manifest of one platform from an index, with the platform
 * grammar and matching rules of containerd's `platforms` package that docker
 * uses (`linux/arm64/v8`, `arm64`, `linux/arm/v7`, aliases such as
 * `x86_64` and `aarch64`).
 *
 * Errors are EngineErrors: InvalidParameter for bad platform strings,
 * NotFound when no manifest of an index matches ("no matching manifest for
 * linux/arm64/v8 in the manifest list entries", docker's text), and
 * InvalidParameter for manifests that do not parse or whose digest is wrong.
 */
import { invalidParameter, notFound } from '../../errdefs/errdefs.js';
import { sha256Digest } from '../content-store.js';
import { MediaType, type Descriptor, type Index, type Manifest, type Platform } from '../oci.js';

/** What we ask registries for, best first. */
export const MANIFEST_ACCEPT = [MediaType.OciIndex, MediaType.DockerManifestList, MediaType.DockerManifest, MediaType.OciManifest];

const SCHEMA1 = ['application/vnd.docker.distribution.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v1+prettyjws'];

export type ParsedManifest =
  | { kind: 'manifest'; mediaType: string; manifest: Manifest }
  | { kind: 'index'; mediaType: string; index: Index };

/** Parses manifest bytes; the media type comes from the document, else from the Content-Type. */
export function parseManifest(bytes: Buffer, contentType?: string): ParsedManifest {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw invalidParameter('the registry sent a manifest that is not valid JSON');
  }
  if (typeof doc !== 'object' || doc === null) throw invalidParameter('the registry sent a manifest that is not a JSON object');
  const ct = contentType?.split(';')[0]?.trim();
  const mt = (typeof doc['mediaType'] === 'string' ? (doc['mediaType'] as string) : undefined) ?? ct ?? '';
  if (doc['schemaVersion'] === 1 || SCHEMA1.includes(mt)) {
    throw invalidParameter(
      'the registry sent a Docker image manifest v2 schema 1, which berth does not support (schema 1 is deprecated; push the image again with a current client)',
    );
  }
  if (Array.isArray(doc['manifests']) || mt === MediaType.OciIndex || mt === MediaType.DockerManifestList) {
    if (!Array.isArray(doc['manifests'])) throw invalidParameter('the registry sent an index without a manifests list');
    for (const m of doc['manifests'] as unknown[]) checkDescriptor(m, 'index entry');
    return { kind: 'index', mediaType: mt || MediaType.OciIndex, index: doc as unknown as Index };
  }
  if (typeof doc['config'] === 'object' && Array.isArray(doc['layers'])) {
    checkDescriptor(doc['config'], 'config');
    for (const l of doc['layers'] as unknown[]) checkDescriptor(l, 'layer');
    return { kind: 'manifest', mediaType: mt || MediaType.OciManifest, manifest: doc as unknown as Manifest };
  }
  throw invalidParameter(`unsupported manifest media type ${JSON.stringify(mt || ct || 'unknown')}`);
}

function checkDescriptor(d: unknown, what: string): void {
  const x = d as Partial<Descriptor> | null;
  if (!x || typeof x !== 'object' || typeof x.digest !== 'string' || typeof x.size !== 'number' || !/^sha256:[a-f0-9]{64}$/.test(x.digest) || x.size < 0) {
    throw invalidParameter(`the manifest has an invalid ${what} descriptor (digest must be sha256:<64 hex>, size a number)`);
  }
}

/** Throws unless sha256(bytes) is `digest`. */
export function verifyDigest(bytes: Buffer, digest: string, what = 'manifest'): void {
  const got = sha256Digest(bytes);
  if (got !== digest) throw invalidParameter(`${what} verification failed for digest ${digest}: the content has digest ${got}`);
}

// --- platforms --------------------------------------------------------------

function normalizeArch(arch: string, variant: string | undefined): { architecture: string; variant?: string } {
  const a = arch.toLowerCase();
  const v = variant?.toLowerCase();
  switch (a) {
    case 'i386':
      return { architecture: '386' };
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      return v && v !== 'v1' ? { architecture: 'amd64', variant: v } : { architecture: 'amd64' };
    case 'aarch64':
    case 'arm64':
      return v && v !== '8' && v !== 'v8' ? { architecture: 'arm64', variant: v } : { architecture: 'arm64' };
    case 'armhf':
      return { architecture: 'arm', variant: 'v7' };
    case 'armel':
      return { architecture: 'arm', variant: 'v6' };
    case 'arm': {
      const vv = v === undefined || v === '' ? 'v7' : /^\d$/.test(v) ? `v${v}` : v;
      return { architecture: 'arm', variant: vv };
    }
    default:
      return v ? { architecture: a, variant: v } : { architecture: a };
  }
}

export function normalizePlatform(p: Platform): Platform {
  const { architecture, variant } = normalizeArch(p.architecture, p.variant);
  return { os: p.os.toLowerCase(), architecture, ...(variant ? { variant } : {}) };
}

/** The platform of this host (linux/amd64 on x86-64; linux/arm64 on aarch64). */
export function hostPlatform(): Platform {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch === 'ia32' ? '386' : process.arch;
  return normalizePlatform({ os: 'linux', architecture: arch });
}

/** containerd's platforms.Parse: `os[/arch[/variant]]` or a bare architecture (the OS is then linux). */
export function parsePlatform(s: string): Platform {
  const parts = s.trim().toLowerCase().split('/');
  const bad = () => invalidParameter(`"${s}": unknown operating system or architecture: invalid argument`);
  if (parts.length === 0 || parts.length > 3 || parts.some((p) => !/^[a-z0-9_.-]+$/.test(p))) throw bad();
  const knownOs = ['linux', 'windows', 'darwin', 'freebsd', 'netbsd', 'openbsd', 'solaris', 'illumos', 'aix', 'android', 'ios', 'js', 'plan9', 'dragonfly'];
  if (parts.length === 1) {
    if (knownOs.includes(parts[0]!)) return normalizePlatform({ os: parts[0]!, architecture: hostPlatform().architecture });
    return normalizePlatform({ os: 'linux', architecture: parts[0]! });
  }
  if (!knownOs.includes(parts[0]!)) throw bad();
  return normalizePlatform({ os: parts[0]!, architecture: parts[1]!, ...(parts[2] ? { variant: parts[2] } : {}) });
}

export function formatPlatform(p: Platform): string {
  const n = normalizePlatform(p);
  return [n.os, n.architecture, ...(n.variant ? [n.variant] : [])].join('/');
}

/**
 * Does `have` (an index entry's platform) run on `want`? OS and architecture
 * must match; a wanted variant must match exactly, except that arm variants
 * run older ones (v7 runs v6 and v5, as containerd's matcher allows).
 */
export function platformMatches(want: Platform, have: Platform): boolean {
  const w = normalizePlatform(want);
  const h = normalizePlatform(have);
  if (w.os !== h.os || w.architecture !== h.architecture) return false;
  if (w.architecture === 'arm') {
    const rank = (v: string | undefined) => Number((v ?? 'v7').replace(/^v/, '')) || 0;
    return rank(h.variant) <= rank(w.variant);
  }
  return (w.variant ?? '') === (h.variant ?? '');
}

/** The index entry for `want`: the best match (exact variant first), skipping attestation manifests. */
export function selectManifest(index: Index, want: Platform): Descriptor {
  const candidates = index.manifests.filter((m) => {
    if (!m.platform) return false;
    if (m.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest') return false;
    return platformMatches(want, m.platform);
  });
  const w = normalizePlatform(want);
  candidates.sort((a, b) => score(b.platform!) - score(a.platform!));
  function score(p: Platform): number {
    const n = normalizePlatform(p);
    return (n.variant ?? '') === (w.variant ?? '') ? 1 : 0;
  }
  // An index whose entries carry no platform at all (some OCI layouts): take the only one.
  if (candidates.length === 0 && index.manifests.length === 1 && !index.manifests[0]!.platform) return index.manifests[0]!;
  const first = candidates[0];
  if (!first) throw notFound(`no matching manifest for ${formatPlatform(want)} in the manifest list entries`);
  return first;
}

/** A manifest's layer media types as docker's schema 2 spells them, for pushing. */
export function dockerLayerMediaType(mt: string): string {
  if (mt === MediaType.OciLayerGzip || mt === MediaType.DockerLayerGzip) return MediaType.DockerLayerGzip;
  if (mt === MediaType.OciLayer || mt === MediaType.DockerLayer) return MediaType.DockerLayer;
  return mt;
}

/** A layer media type in OCI's spelling. */
export function ociLayerMediaType(mt: string): string {
  if (mt === MediaType.DockerLayerGzip) return MediaType.OciLayerGzip;
  if (mt === MediaType.DockerLayer) return MediaType.OciLayer;
  return mt;
}

/**
 * Where a registry is and how to talk to it, from the daemon's settings:
 *
 * - Docker Hub (`docker.io`) is served by https://registry-1.docker.io;
 *   pulls try the configured mirrors first (`--registry-mirror`).
 * - HTTPS always, verified against the system CAs plus the registry's own
 *   CA certificates from `<certs-dir>/<host[:port]>/*.crt` (client
 *   certificates: `*.cert` with the matching `*.key`), docker's
 *   /etc/docker/certs.d layout.
 * - Plain HTTP (after HTTPS without verification) only for insecure
 *   registries: those named in `--insecure-registry` (host[:port] or CIDR)
 *   and any whose address is in 127.0.0.0/8, as dockerd decides it (the
 *   host name is resolved and each address checked).
 *
 * withEndpoints() runs an operation against each endpoint in turn until one
 * works: it moves on when an endpoint cannot be reached (or, for a mirror,
 * fails in any way) before the operation said it is committed.
 */
import { lookup } from 'node:dns/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import { join } from 'node:path';
import { invalidParameter } from '../../errdefs/errdefs.js';
import type { Logger } from '../../util/log.js';
import { DEFAULT_DOMAIN, LEGACY_DEFAULT_DOMAIN, isValidDomain } from '../reference.js';
import { convertToHostname, type Credentials } from './auth.js';
import { RegistrySession, type Endpoint } from './client.js';
import { HttpTransport, NetworkError, isAbort, type TlsSettings } from './http.js';

/** The host that serves Docker Hub's registry API. */
export const DOCKER_HUB_REGISTRY = 'registry-1.docker.io';
/** The key docker's config.json and AuthConfig use for Docker Hub. */
export const DOCKER_HUB_INDEX_SERVER = 'https://index.docker.io/v1/';
/** Per-registry certificates, docker's layout (so existing setups work as they are). */
export const DEFAULT_CERTS_DIR = '/etc/docker/certs.d';
/** What is insecure without being told (dockerd's default). */
export const DEFAULT_INSECURE_CIDRS = ['127.0.0.0/8'];

export interface RegistrySettings {
  /** Docker Hub mirrors, `https://mirror.example.com` or `http://127.0.0.1:5001`. */
  mirrors: string[];
  /** Insecure registries: `host[:port]` or CIDRs. */
  insecure: string[];
  /** Per-registry certificates: `<dir>/<host[:port]>/{*.crt,*.cert,*.key}`. */
  certsDir: string;
  /**
   * Where Docker Hub's registry is (default registry-1.docker.io). Only tests
   * change it (berthd's BERTH_DOCKER_HUB_REGISTRY), to a local address, so
   * that "Docker Hub cannot be reached" is exercised without leaving the machine.
   */
  dockerHub?: string;
}

export interface IndexInfo {
  name: string;
  mirrors: string[];
  secure: boolean;
  official: boolean;
}

export interface RegistryInfo {
  insecureCidrs: string[];
  indexConfigs: IndexInfo[];
  mirrors: string[];
}

interface ParsedSettings {
  dockerHub: string;
  mirrors: URL[];
  insecureNames: Set<string>;
  cidrs: string[];
  blocks: BlockList;
  certsDir: string;
}

/** Checks and normalises the settings (mirror URLs, CIDRs, names); throws InvalidParameter with docker's wording. */
export function parseRegistrySettings(s: RegistrySettings): ParsedSettings {
  const mirrors: URL[] = [];
  for (const m of s.mirrors) {
    let u: URL;
    try {
      u = new URL(m);
    } catch {
      throw invalidParameter(`invalid mirror: "${m}" is not a valid URI`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw invalidParameter(`invalid mirror: unsupported scheme "${u.protocol.replace(/:$/, '')}" in "${m}"`);
    if (u.username || u.password) throw invalidParameter(`invalid mirror: username/password not allowed in URI "${m}"`);
    if ((u.pathname !== '/' && u.pathname !== '') || u.search || u.hash) throw invalidParameter(`invalid mirror: path, query, or fragment at end of the URI "${m}"`);
    mirrors.push(new URL(`${u.protocol}//${u.host}/`));
  }
  const blocks = new BlockList();
  const cidrs: string[] = [];
  const insecureNames = new Set<string>();
  for (const raw of [...DEFAULT_INSECURE_CIDRS, ...s.insecure]) {
    if (raw.includes('://')) throw invalidParameter(`insecure registry ${raw} should not contain '://'`);
    const slash = raw.indexOf('/');
    if (slash >= 0) {
      const addr = raw.slice(0, slash);
      const bits = Number(raw.slice(slash + 1));
      const fam = isIP(addr);
      if (!fam || !Number.isInteger(bits) || bits < 0 || bits > (fam === 4 ? 32 : 128)) throw invalidParameter(`insecure registry ${raw} is not a valid CIDR`);
      blocks.addSubnet(addr, bits, fam === 4 ? 'ipv4' : 'ipv6');
      if (!cidrs.includes(raw)) cidrs.push(raw);
    } else {
      const name = raw === LEGACY_DEFAULT_DOMAIN ? DEFAULT_DOMAIN : raw;
      if (!isValidDomain(name)) throw invalidParameter(`insecure registry ${raw} is not a valid registry address`);
      insecureNames.add(name);
    }
  }
  return { dockerHub: s.dockerHub || DOCKER_HUB_REGISTRY, mirrors, insecureNames, cidrs, blocks, certsDir: s.certsDir };
}

/** `docker.io` for every way of naming Docker Hub; otherwise the host[:port]. */
export function normalizeRegistryAddress(address: string | undefined): string {
  if (!address) return DEFAULT_DOMAIN;
  const host = convertToHostname(address);
  if (host === '' || host === DEFAULT_DOMAIN || host === LEGACY_DEFAULT_DOMAIN || host === DOCKER_HUB_REGISTRY) return DEFAULT_DOMAIN;
  return host;
}

export class RegistryService {
  private readonly s: ParsedSettings;
  private readonly sessions = new Map<string, RegistrySession>();

  constructor(
    settings: RegistrySettings,
    private readonly log?: Logger,
    readonly http: HttpTransport = new HttpTransport(),
  ) {
    this.s = parseRegistrySettings(settings);
  }

  info(): RegistryInfo {
    const mirrors = this.s.mirrors.map((m) => m.toString());
    return {
      insecureCidrs: [...this.s.cidrs],
      indexConfigs: [
        { name: DEFAULT_DOMAIN, mirrors, secure: !this.s.insecureNames.has(DEFAULT_DOMAIN), official: true },
        ...[...this.s.insecureNames].filter((n) => n !== DEFAULT_DOMAIN).map((n) => ({ name: n, mirrors: [], secure: false, official: false })),
      ],
      mirrors,
    };
  }

  close(): void {
    this.http.close();
  }

  /** TLS settings for a host from the certs dir (read on each use: certificates can be added without a restart). */
  tlsFor(hostPort: string): TlsSettings {
    const dir = join(this.s.certsDir, hostPort.replace(/[/\\]/g, '_'));
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return {};
    }
    const t: TlsSettings = {};
    for (const n of names.sort()) {
      if (n.endsWith('.crt')) (t.ca ??= []).push(readFileSync(join(dir, n)));
      else if (n.endsWith('.cert')) {
        const key = n.replace(/\.cert$/, '.key');
        if (!names.includes(key)) throw invalidParameter(`missing key ${key} for client certificate ${n} in ${dir}`);
        t.cert = readFileSync(join(dir, n));
        t.key = readFileSync(join(dir, key));
      } else if (n.endsWith('.key') && !names.includes(n.replace(/\.key$/, '.cert'))) {
        throw invalidParameter(`missing client certificate ${n.replace(/\.key$/, '.cert')} for key ${n} in ${dir}`);
      }
    }
    return t;
  }

  /** Whether plain HTTP may be used for this registry (dockerd's isSecureIndex, inverted). */
  async isInsecure(domain: string): Promise<boolean> {
    if (this.s.insecureNames.has(domain)) return true;
    if (domain === DEFAULT_DOMAIN) return false;
    const host = hostOf(domain);
    if (this.s.insecureNames.has(host)) return true;
    let addrs: { address: string; family: number }[];
    if (isIP(host)) addrs = [{ address: host, family: isIP(host) }];
    else {
      try {
        addrs = await withTimeout(lookup(host, { all: true }), 5000);
      } catch {
        return false; // unresolvable: HTTPS only; the request itself reports the failure
      }
    }
    return addrs.some((a) => this.s.blocks.check(a.address, a.family === 6 ? 'ipv6' : 'ipv4'));
  }

  /** The endpoints to try for a registry, in order. */
  async endpoints(domain: string, opts: { push: boolean }): Promise<Endpoint[]> {
    if (domain === DEFAULT_DOMAIN) {
      const out: Endpoint[] = [];
      if (!opts.push) {
        for (const m of this.s.mirrors) out.push({ url: new URL(m.origin), tls: m.protocol === 'https:' ? this.tlsFor(m.host) : {}, mirror: true, domain });
      }
      out.push({ url: new URL(`https://${this.s.dockerHub}`), tls: this.tlsFor(this.s.dockerHub), mirror: false, domain });
      return out;
    }
    const tls = this.tlsFor(domain);
    const https: Endpoint = { url: new URL(`https://${domain}`), tls, mirror: false, domain };
    if (!(await this.isInsecure(domain))) return [https];
    return [
      { ...https, tls: { ...tls, insecureSkipVerify: true } },
      { url: new URL(`http://${domain}`), tls: {}, mirror: false, domain },
    ];
  }

  /** A session for an endpoint and credentials; reused so that tokens and the auth probe are. */
  session(ep: Endpoint, creds: Credentials | undefined): RegistrySession {
    const key = `${ep.url.toString()}|${ep.tls.insecureSkipVerify ? 1 : 0}|${creds ? JSON.stringify(creds) : ''}`;
    let s = this.sessions.get(key);
    if (!s) {
      s = new RegistrySession(this.http, ep, creds);
      this.sessions.set(key, s);
      if (this.sessions.size > 64) this.sessions.delete(this.sessions.keys().next().value!);
    }
    return s;
  }

  /**
   * Runs `fn` against the registry's endpoints in turn. `fn` calls `commit()`
   * once it has started work that must not be repeated elsewhere; errors
   * after that are final. Errors before it move on to the next endpoint when
   * the endpoint could not be reached (or is a mirror).
   */
  async withEndpoints<T>(
    domain: string,
    creds: Credentials | undefined,
    opts: { push: boolean; signal?: AbortSignal },
    fn: (session: RegistrySession, commit: () => void) => Promise<T>,
  ): Promise<T> {
    const eps = await this.endpoints(domain, opts);
    let last: unknown;
    for (let i = 0; i < eps.length; i++) {
      const ep = eps[i]!;
      const session = this.session(ep, creds);
      let committed = false;
      try {
        await session.ping(opts.signal);
        return await fn(session, () => (committed = true));
      } catch (e) {
        if (isAbort(e) || opts.signal?.aborted) throw e;
        last = e;
        const unreachable = e instanceof NetworkError && e.beforeResponse;
        if (committed || i === eps.length - 1 || !(unreachable || ep.mirror)) throw e;
        this.log?.debug('registry endpoint failed, trying the next one', { endpoint: ep.url.toString(), err: (e as Error).message });
      }
    }
    throw last;
  }
}

/** host of `host:port` / `[v6]:port`. */
function hostOf(domain: string): string {
  if (domain.startsWith('[')) return domain.slice(1, domain.indexOf(']'));
  const i = domain.lastIndexOf(':');
  return i > 0 ? domain.slice(0, i) : domain;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timeout')), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e as Error);
      },
    );
  });
}

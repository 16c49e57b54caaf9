/**
 * Registry credentials in docker's client config file
 * (`$DOCKER_CONFIG/config.json`, default `~/.docker/config.json`):
 *
 *   { "auths": { "localhost:5000": { "auth": "<base64 user:pass>" },
 *                "https://index.docker.io/v1/": { "auth": "…" } } }
 *
 * Docker Hub's key is `https://index.docker.io/v1/`; other registries are
 * keyed by host[:port], and older keys with a scheme or path
 * (`http://host:5000/v2/`) are still found. Other fields of the file are
 * kept as they are. Credential helpers (`credsStore`, `credHelpers`) are not
 * run: credentials are read from and written to the file.
 *
 * What goes to the daemon is docker's X-Registry-Auth: base64url of
 * `{"username","password","serveraddress"[,"identitytoken"]}`.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError } from './command.js';

export const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';

export interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  email?: string;
  identitytoken?: string;
  registrytoken?: string;
}

export interface ConfigFile {
  auths?: Record<string, AuthEntry>;
  [other: string]: unknown;
}

export interface RegistryAuth {
  username?: string;
  password?: string;
  serveraddress: string;
  identitytoken?: string;
}

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  return env['DOCKER_CONFIG'] || join(homedir(), '.docker');
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'config.json');
}

export function loadConfig(path = configPath()): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return {};
  }
  if (text.trim() === '') return {};
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as ConfigFile) : {};
  } catch (e) {
    throw new CliError(`loading config file: ${path}: ${(e as Error).message}`);
  }
}

/** Writes the file atomically, readable by its owner only (it holds passwords). */
export function saveConfig(cfg: ConfigFile, path = configPath()): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(cfg, null, '\t') + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}

/** Scheme and path dropped: `https://x:5000/v2/` → `x:5000`. */
export function convertToHostname(address: string): string {
  const s = address.trim().replace(/^[a-z]+:\/\//i, '');
  const slash = s.indexOf('/');
  return slash >= 0 ? s.slice(0, slash) : s;
}

/** The config.json key for a registry domain (`docker.io` → Docker Hub's index URL). */
export function authKey(domainOrAddress: string): string {
  const h = convertToHostname(domainOrAddress);
  if (h === '' || h === 'docker.io' || h === 'index.docker.io' || h === 'registry-1.docker.io') return DOCKER_HUB_KEY;
  return h;
}

/** The keys present in the file that name this registry (for lookup and logout). */
export function matchingKeys(cfg: ConfigFile, key: string): string[] {
  const auths = cfg.auths ?? {};
  if (key === DOCKER_HUB_KEY) return Object.keys(auths).filter((k) => authKey(k) === DOCKER_HUB_KEY);
  return Object.keys(auths).filter((k) => k === key || convertToHostname(k) === key);
}

/** Stored credentials for a registry, if any. */
export function lookupAuth(cfg: ConfigFile, domain: string): RegistryAuth | undefined {
  const key = authKey(domain);
  const k = matchingKeys(cfg, key)[0];
  if (!k) return undefined;
  const e = cfg.auths![k]!;
  const out: RegistryAuth = { serveraddress: key };
  if (e.auth) {
    const plain = Buffer.from(e.auth, 'base64').toString('utf8');
    const colon = plain.indexOf(':');
    if (colon >= 0) {
      out.username = plain.slice(0, colon);
      out.password = plain.slice(colon + 1);
    }
  }
  if (e.username) out.username = e.username;
  if (e.password) out.password = e.password;
  if (e.identitytoken) out.identitytoken = e.identitytoken;
  return out.username || out.identitytoken ? out : undefined;
}

export function storeAuth(cfg: ConfigFile, key: string, a: { username: string; password: string; identitytoken?: string }): void {
  const auths = (cfg.auths ??= {});
  for (const k of matchingKeys(cfg, key)) delete auths[k];
  auths[key] = a.identitytoken
    ? { auth: Buffer.from(`${a.username}:`).toString('base64'), identitytoken: a.identitytoken }
    : { auth: Buffer.from(`${a.username}:${a.password}`).toString('base64') };
}

/** docker's EncodeAuthToBase64: base64url of the JSON. */
export function encodeAuthHeader(a: RegistryAuth): string {
  return Buffer.from(JSON.stringify(a)).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** The X-Registry-Auth header for pulls/pushes of an image of this registry, when credentials are stored. */
export function authHeaderFor(domain: string): Record<string, string> {
  const a = lookupAuth(loadConfig(), domain);
  return a ? { 'X-Registry-Auth': encodeAuthHeader(a) } : {};
}

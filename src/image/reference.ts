/**
 * Docker image references: the grammar, parsing and normalisation of
 * github.com/distribution/reference (reference.go, regexp.go, normalize.go,
 * helpers.go) and the digest validation of github.com/opencontainers/go-digest,
 * with dockerd's error messages.
 *
 *   reference        := name [ ":" tag ] [ "@" digest ]
 *   name             := [domain '/'] remote-name
 *   domain           := host [':' port-number]
 *   host             := domain-name | IPv4address | '[' IPv6address ']'
 *   domain-name      := domain-component ['.' domain-component]*
 *   domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
 *   port-number      := /[0-9]+/
 *   remote-name      := path-component ['/' path-component]*
 *   path-component   := alpha-numeric [separator alpha-numeric]*
 *   alpha-numeric    := /[a-z0-9]+/
 *   separator        := /[_.]|__|[-]+/
 *   tag              := /[\w][\w.-]{0,127}/
 *   digest           := algorithm ":" /[0-9a-fA-F]{32,}/
 *   identifier       := /[a-f0-9]{64}/
 *
 * Normalisation ("familiar" names as typed in the Docker UI → canonical
 * names): `ubuntu` → `docker.io/library/ubuntu`, `index.docker.io/x/y` →
 * `docker.io/x/y`; the first path element is taken as a registry only when it
 * is `localhost`, contains `.` or `:`, or has upper-case letters.
 *
 * Every error is an EngineError of kind InvalidParameter.
 */
import { invalidParameter } from '../errdefs/errdefs.js';

/** Registry of Docker Hub images in canonical names. */
export const DEFAULT_DOMAIN = 'docker.io';
/** Docker Hub's old ("Docker Index") name; normalised to DEFAULT_DOMAIN. */
export const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
/** Namespace of official images on Docker Hub (`ubuntu` → `library/ubuntu`). */
export const OFFICIAL_REPO_PREFIX = 'library/';
/** Tag given to references with neither tag nor digest (TagNameOnly). */
export const DEFAULT_TAG = 'latest';
/** Maximum length of a repository path (the name without its domain). */
export const REPOSITORY_NAME_TOTAL_LENGTH_MAX = 255;

/** Error messages, as dockerd (distribution/reference, go-digest) words them. */
export const ReferenceErrors = {
  invalidFormat: 'invalid reference format',
  tagInvalidFormat: 'invalid tag format',
  digestInvalidFormat: 'invalid digest format',
  nameContainsUppercase: 'repository name must be lowercase',
  nameEmpty: 'repository name must have at least one component',
  nameTooLong: `repository name must not be more than ${REPOSITORY_NAME_TOTAL_LENGTH_MAX} characters`,
  nameNotCanonical: 'repository name must be canonical',
  checksumInvalidFormat: 'invalid checksum digest format',
  digestUnsupported: 'unsupported digest algorithm',
  digestedRepo: 'cannot import digest reference',
  ambiguousDigestName: 'refusing to create an ambiguous tag using digest algorithm as name',
} as const;

// ---------------------------------------------------------------------------
// Grammar (regexp.go). JavaScript's backtracking matcher takes the same
// leftmost-first alternatives as Go's regexp, so captures agree.

const alphaNumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const optionalPort = '(?::[0-9]+)?';
const tagPattern = '[\\w][\\w.-]{0,127}';
const digestPattern = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}';
const ipv6Address = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`;
const host = `(?:${domainName}|${ipv6Address})`;
const domainAndPort = `${host}${optionalPort}`;
const pathComponent = `${alphaNumeric}(?:${separator}${alphaNumeric})*`;
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const namePattern = `(?:${domainAndPort}/)?${remoteName}`;

/** Captures: 1 name, 2 tag, 3 digest. */
const referenceRegexp = new RegExp(`^(${namePattern})(?::(${tagPattern}))?(?:@(${digestPattern}))?$`);
/** Captures: 1 domain (may be undefined), 2 path. */
const anchoredNameRegexp = new RegExp(`^(?:(${domainAndPort})/)?(${remoteName})$`);
const anchoredTagRegexp = new RegExp(`^${tagPattern}$`);
const anchoredDigestRegexp = new RegExp(`^${digestPattern}$`);
const anchoredIdentifierRegexp = /^[a-f0-9]{64}$/;
const anchoredDomainRegexp = new RegExp(`^${domainAndPort}$`);

// go-digest: the loose shape of any digest, and the algorithms dockerd knows
// (hex length of each; encodings are lower-case hex only).
const goDigestAnchoredRegexp = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const digestAlgorithms: ReadonlyMap<string, RegExp> = new Map([
  ['sha256', /^[a-f0-9]{64}$/],
  ['sha384', /^[a-f0-9]{96}$/],
  ['sha512', /^[a-f0-9]{128}$/],
]);

// ---------------------------------------------------------------------------

/**
 * A parsed image reference. `domain` is empty only for references from
 * parseReference() of a name without a registry; everything normalised has
 * one. Instances are immutable; the with*() methods return new ones.
 */
export class Reference {
  readonly domain: string;
  readonly path: string;
  // `declare`: absent tag/digest are not own properties (clean deepEqual/JSON).
  declare readonly tag?: string;
  declare readonly digest?: string;

  /** Does not validate; use the parse functions or withName(). */
  constructor(domain: string, path: string, tag?: string, digest?: string) {
    this.domain = domain;
    this.path = path;
    if (tag !== undefined && tag !== '') (this as { tag?: string }).tag = tag;
    if (digest !== undefined && digest !== '') (this as { digest?: string }).digest = digest;
  }

  /** Full repository name, `docker.io/library/ubuntu`. */
  name(): string {
    return this.domain === '' ? this.path : `${this.domain}/${this.path}`;
  }

  /** Full reference, `docker.io/library/ubuntu:latest[@sha256:…]`. */
  string(): string {
    return this.name() + suffix(this.tag, this.digest);
  }

  toString(): string {
    return this.string();
  }

  /**
   * The name as the Docker UI shows it: `ubuntu`, `golf/jenkins`,
   * `localhost:5000/a/b`. Only docker.io is dropped, and `library/` only
   * when a single component follows it.
   */
  familiarName(): string {
    if (this.domain !== DEFAULT_DOMAIN) return this.name();
    if (this.path.startsWith(OFFICIAL_REPO_PREFIX)) {
      const rest = this.path.slice(OFFICIAL_REPO_PREFIX.length);
      if (!rest.includes('/')) return rest;
    }
    return this.path;
  }

  /** Familiar name plus tag and digest: `ubuntu:latest`, `ubuntu@sha256:…`. */
  familiarString(): string {
    return this.familiarName() + suffix(this.tag, this.digest);
  }

  /** Neither tag nor digest. */
  isNameOnly(): boolean {
    return this.tag === undefined && this.digest === undefined;
  }

  /** TagNameOnly: adds `latest` only when there is neither tag nor digest. */
  withDefaultTag(): Reference {
    return this.isNameOnly() ? new Reference(this.domain, this.path, DEFAULT_TAG) : this;
  }

  /** WithTag: sets (replaces) the tag, keeping any digest. */
  withTag(tag: string): Reference {
    if (!anchoredTagRegexp.test(tag)) throw invalidParameter(ReferenceErrors.tagInvalidFormat);
    return new Reference(this.domain, this.path, tag, this.digest);
  }

  /** WithDigest: sets (replaces) the digest, keeping any tag. Checks only the grammar. */
  withDigest(digest: string): Reference {
    if (!anchoredDigestRegexp.test(digest)) throw invalidParameter(ReferenceErrors.digestInvalidFormat);
    return new Reference(this.domain, this.path, this.tag, digest);
  }

  /** TrimNamed: the repository alone, without tag and digest. */
  trimNamed(): Reference {
    return this.isNameOnly() ? this : new Reference(this.domain, this.path);
  }
}

function suffix(tag: string | undefined, digest: string | undefined): string {
  return (tag !== undefined ? `:${tag}` : '') + (digest !== undefined ? `@${digest}` : '');
}

// ---------------------------------------------------------------------------
// Digests (go-digest)

/**
 * Validates a digest as go-digest's Parse does and returns it. Throws
 * `invalid checksum digest format` (bad shape, wrong length, upper-case hex)
 * or `unsupported digest algorithm` (well-formed but not sha256/384/512).
 */
export function parseDigest(s: string): string {
  const i = s.indexOf(':');
  if (i <= 0 || i + 1 === s.length) throw invalidParameter(ReferenceErrors.checksumInvalidFormat);
  const encoded = digestAlgorithms.get(s.slice(0, i));
  if (encoded === undefined) {
    if (!goDigestAnchoredRegexp.test(s)) throw invalidParameter(ReferenceErrors.checksumInvalidFormat);
    throw invalidParameter(ReferenceErrors.digestUnsupported);
  }
  if (!encoded.test(s.slice(i + 1))) throw invalidParameter(ReferenceErrors.checksumInvalidFormat);
  return s;
}

/** True when parseDigest(s) would succeed. */
export function isDigest(s: string): boolean {
  const i = s.indexOf(':');
  return i > 0 && digestAlgorithms.get(s.slice(0, i))?.test(s.slice(i + 1)) === true;
}

/** True for a valid tag, `[\w][\w.-]{0,127}`. */
export function isValidTag(tag: string): boolean {
  return anchoredTagRegexp.test(tag);
}

/** True for a valid registry host[:port] (domain name, IPv4, or [IPv6]). */
export function isValidDomain(domain: string): boolean {
  return anchoredDomainRegexp.test(domain);
}

// ---------------------------------------------------------------------------
// Parsing

/**
 * Parse: the reference grammar as is, without normalisation (`ubuntu` stays
 * domain '' path `ubuntu`). Most callers want parseNormalizedNamed().
 */
export function parseReference(s: string): Reference {
  if (s === '') throw invalidParameter(ReferenceErrors.nameEmpty);

  const m = referenceRegexp.exec(s);
  if (m === null) {
    const lower = s.toLowerCase();
    if (lower !== s && referenceRegexp.test(lower)) throw invalidParameter(ReferenceErrors.nameContainsUppercase);
    throw invalidParameter(ReferenceErrors.invalidFormat);
  }
  const name = m[1] ?? '';
  const tag = m[2];
  const digest = m[3];

  const n = anchoredNameRegexp.exec(name);
  const domain = n?.[1] ?? '';
  const path = n !== null ? (n[2] ?? '') : name;
  if (path.length > REPOSITORY_NAME_TOTAL_LENGTH_MAX) throw invalidParameter(ReferenceErrors.nameTooLong);
  if (digest !== undefined) parseDigest(digest);
  return new Reference(domain, path, tag, digest);
}

/**
 * splitDockerDomain: splits a (familiar) name, possibly with tag/digest, into
 * its registry and the rest, defaulting the registry to docker.io and adding
 * `library/` to single-component Docker Hub names. Does not validate.
 */
export function splitDockerDomain(name: string): { domain: string; remainder: string } {
  const slash = name.indexOf('/');
  if (slash < 0) return { domain: DEFAULT_DOMAIN, remainder: OFFICIAL_REPO_PREFIX + name };

  const first = name.slice(0, slash);
  const rest = name.slice(slash + 1);
  let domain: string;
  let remainder: string;
  if (first === 'localhost') {
    domain = first;
    remainder = rest;
  } else if (first === LEGACY_DEFAULT_DOMAIN) {
    domain = DEFAULT_DOMAIN;
    remainder = rest;
  } else if (first.includes('.') || first.includes(':') || first.toLowerCase() !== first) {
    // A host name, IPv4/IPv6 address or host:port; upper case is not allowed
    // in repository paths, so such a first element must be a registry.
    domain = first;
    remainder = rest;
  } else {
    domain = DEFAULT_DOMAIN;
    remainder = name;
  }
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return { domain, remainder };
}

/**
 * ParseNormalizedNamed: parses a name as typed by users (`ubuntu`,
 * `golf/jenkins:1.12.4`, `localhost:5000/a/b@sha256:…`) into a canonical
 * reference. Does not add a default tag (see parseDockerRef).
 */
export function parseNormalizedNamed(s: string): Reference {
  if (anchoredIdentifierRegexp.test(s)) {
    throw invalidParameter(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  }
  const { domain, remainder } = splitDockerDomain(s);
  const colon = remainder.indexOf(':');
  const remote = colon >= 0 ? remainder.slice(0, colon) : remainder;
  if (remote.toLowerCase() !== remote) {
    throw invalidParameter(`${ReferenceErrors.invalidFormat}: repository name (${remote}) must be lowercase`);
  }
  return parseReference(`${domain}/${remainder}`);
}

/**
 * ParseDockerRef: normalises and adds the default tag. A reference with both
 * tag and digest keeps only the digest (`busybox:latest@sha256:…` →
 * `docker.io/library/busybox@sha256:…`), as dockerd stores it.
 */
export function parseDockerRef(s: string): Reference {
  const ref = parseNormalizedNamed(s);
  if (ref.tag !== undefined && ref.digest !== undefined) return new Reference(ref.domain, ref.path, undefined, ref.digest);
  return ref.withDefaultTag();
}

/**
 * ParseNamed: like parseNormalizedNamed but the input must already be in
 * canonical form (`docker.io/library/ubuntu`, not `ubuntu`).
 */
export function parseNamed(s: string): Reference {
  const ref = parseNormalizedNamed(s);
  if (ref.string() !== s) throw invalidParameter(ReferenceErrors.nameNotCanonical);
  return ref;
}

/** WithName: a repository name (no tag or digest) as is, validated. */
export function withName(name: string): Reference {
  const m = anchoredNameRegexp.exec(name);
  if (m === null) throw invalidParameter(ReferenceErrors.invalidFormat);
  const path = m[2] ?? '';
  if (path.length > REPOSITORY_NAME_TOTAL_LENGTH_MAX) throw invalidParameter(ReferenceErrors.nameTooLong);
  return new Reference(m[1] ?? '', path);
}

export type AnyReference = { kind: 'digest'; digest: string } | { kind: 'named'; ref: Reference };

/**
 * ParseAnyReference: a full image ID (64 hex, taken as sha256), a digest, or
 * else a familiar name. Short ID prefixes parse as names; see isImageIdLike.
 */
export function parseAnyReference(s: string): AnyReference {
  if (anchoredIdentifierRegexp.test(s)) return { kind: 'digest', digest: `sha256:${s}` };
  if (isDigest(s)) return { kind: 'digest', digest: s };
  return { kind: 'named', ref: parseNormalizedNamed(s) };
}

/**
 * Could `s` denote an image by ID: 64 hex, `sha256:` + 64 hex, or a (possibly
 * `sha256:`-prefixed) ID prefix of 1–64 lower-case hex characters? Short
 * prefixes such as `cafe` are also valid names; dockerd looks names up first
 * and falls back to ID prefixes.
 */
export function isImageIdLike(s: string): boolean {
  return /^(?:sha256:)?[a-f0-9]{1,64}$/.test(s);
}

/** Is `s` a full image ID, bare (64 hex) or `sha256:` + 64 hex? */
export function isFullImageId(s: string): boolean {
  return /^(?:sha256:)?[a-f0-9]{64}$/.test(s);
}

export interface RepositoryTagOptions {
  /**
   * `POST /images/create?fromImage=&tag=` semantics (dockerd PullImage): a
   * trailing `:` on the name is dropped (`pull -a`), the tag may be a digest
   * (it then replaces tag and digest of the name), a digested name is
   * allowed, and no default tag is added (a name-only result means "all
   * tags"). Without it, the semantics are those of `POST /images/{name}/tag`
   * and `POST /images/create?fromSrc=&repo=&tag=` (RepoTagReference).
   */
  pull?: boolean;
}

/**
 * A repository and a tag given separately, as in the API's query strings.
 *
 * Default (tag/import): the repo is normalised, must not carry a digest
 * (`cannot import digest reference`), the tag (if non-empty) replaces any tag
 * in the repo, otherwise `latest` is used unless the repo has a tag; a
 * familiar name of `sha256` is refused. An empty repo throws
 * `repository name must have at least one component` (dockerd silently does
 * nothing there).
 */
export function parseRepositoryTag(repo: string, tag?: string, options: RepositoryTagOptions = {}): Reference {
  if (options.pull === true) {
    const name = repo.endsWith(':') ? repo.slice(0, -1) : repo;
    const ref = parseNormalizedNamed(name);
    if (tag === undefined || tag === '') return ref;
    if (isDigest(tag)) return ref.trimNamed().withDigest(tag);
    return ref.withTag(tag);
  }

  if (repo === '') throw invalidParameter(ReferenceErrors.nameEmpty);
  const ref = parseNormalizedNamed(repo);
  if (ref.digest !== undefined) throw invalidParameter(ReferenceErrors.digestedRepo);
  const tagged = tag !== undefined && tag !== '' ? ref.withTag(tag) : ref.withDefaultTag();
  if (tagged.familiarName() === 'sha256') throw invalidParameter(ReferenceErrors.ambiguousDigestName);
  return tagged;
}

/**
 * Docker's volume filters (daemon/volume/service/convert.go, by.go), with
 * its error texts. Filters arrive as the API parsed them: name → values.
 *   list:  dangling, name (exact or regular expression), driver, label
 *   prune: label, label!, all
 */
import { invalidParameter } from '../errdefs/errdefs.js';
import { filterMatcher } from '../util/re2.js';

export type VolumeFilters = ReadonlyMap<string, readonly string[]>;

const LIST_FILTERS = ['dangling', 'name', 'driver', 'label'];
const PRUNE_FILTERS = ['label', 'label!', 'all'];

interface Candidate {
  name: string;
  driver: string;
  labels: Readonly<Record<string, string>> | null;
}

function invalidFilter(name: string, values?: readonly string[]): Error {
  return invalidParameter(`invalid filter '${name}${values ? `=[${values.join(' ')}]` : ''}'`);
}

function checkNames(filters: VolumeFilters, accepted: readonly string[]): void {
  for (const k of filters.keys()) if (!accepted.includes(k)) throw invalidFilter(k);
}

function uniq(vs: readonly string[] | undefined): string[] {
  return [...new Set(vs ?? [])];
}

/** filters.Args.MatchKVList: every `k` / `k=v` must be among labels; no values matches all. */
function matchKV(values: readonly string[] | undefined, labels: Readonly<Record<string, string>> | null): boolean {
  if (!values || values.length === 0) return true;
  const l = labels ?? {};
  if (Object.keys(l).length === 0) return false;
  return values.every((w) => {
    const eq = w.indexOf('=');
    const k = eq < 0 ? w : w.slice(0, eq);
    if (!Object.hasOwn(l, k)) return false;
    return eq < 0 || l[k] === w.slice(eq + 1);
  });
}

/** GetBoolOrDefault: true or false, not both, not neither. */
function filterBool(filters: VolumeFilters, key: string): boolean | undefined {
  const vals = filters.get(key);
  if (vals === undefined) return undefined;
  const u = uniq(vals);
  const f = u.includes('0') || u.includes('false');
  const t = u.includes('1') || u.includes('true');
  if (f === t) throw invalidFilter(key, u.length ? u : undefined);
  return t;
}

/** A predicate for `GET /volumes`; inUse tells whether a volume has users (for dangling). Throws on bad filters. */
export function listFilter(filters: VolumeFilters, inUse: (name: string) => boolean): (v: Candidate) => boolean {
  checkNames(filters, LIST_FILTERS);
  const drivers = uniq(filters.get('driver'));
  const names = filters.has('name') ? uniq(filters.get('name')) : undefined;
  // filters.Args.Match: equal, or a regular expression (Go syntax, linear time) found in the name.
  const nameMatch = names && names.length > 0 ? filterMatcher(names) : undefined;
  const labels = uniq(filters.get('label'));
  const dangling = filterBool(filters, 'dangling');
  return (v) =>
    (drivers.length === 0 || drivers.includes(v.driver)) &&
    (nameMatch === undefined || nameMatch(v.name)) &&
    matchKV(labels, v.labels) &&
    (dangling === undefined || inUse(v.name) !== dangling);
}

/** Go's strconv.ParseBool. */
function parseGoBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

/**
 * The label part of `POST /volumes/prune` and whether it covers all volumes
 * (`all=true` or forceAll) or only anonymous ones. Throws on bad filters.
 */
export function pruneFilter(filters: VolumeFilters, anonymousLabel: string, forceAll = false): { all: boolean; match: (v: Candidate) => boolean } {
  const allVals = uniq(filters.get('all'));
  let all = forceAll;
  if (allVals.length > 1) throw invalidParameter(`invalid filter 'all=[${allVals.join(' ')}]': only one value is expected`);
  if (allVals.length === 1) {
    const b = parseGoBool(allVals[0]!);
    if (b === undefined) throw invalidParameter(`invalid filter 'all': strconv.ParseBool: parsing ${JSON.stringify(allVals[0])}: invalid syntax`);
    all ||= b;
  }
  checkNames(filters, PRUNE_FILTERS);
  const labels = uniq(filters.get('label'));
  if (!all) labels.push(anonymousLabel);
  const notLabels = uniq(filters.get('label!'));
  return {
    all,
    match: (v) => matchKV(labels, v.labels) && !(notLabels.length > 0 && matchKV(notLabels, v.labels)),
  };
}

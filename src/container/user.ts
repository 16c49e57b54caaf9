/**
 * `--user name|uid[:group|gid]` resolved against the container's own
 * /etc/passwd and /etc/group, as Docker does at start (libcontainer/user).
 */
import { invalidParameter } from '../errdefs/errdefs.js';
import type { Host } from '../sys/host.js';

export interface ExecUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** passwd and group files bigger than this are refused rather than read (a container controls them). */
const MAX_ACCOUNT_FILE = 4 * 1024 * 1024;

async function readLines(host: Host, root: string, path: string): Promise<string[]> {
  const f = await host.files.readInRoot(root, path, MAX_ACCOUNT_FILE);
  switch (f.kind) {
    case 'file':
      return f.data.toString('utf8').split('\n');
    case 'missing':
      return [];
    case 'not-regular':
      throw invalidParameter(`unable to read ${path} of the container to find the user: it is ${f.what}, not a regular file`);
    case 'too-large':
      throw invalidParameter(`unable to read ${path} of the container to find the user: it is ${f.size} bytes, more than the ${MAX_ACCOUNT_FILE} allowed`);
  }
}

function passwd(lines: string[]): PasswdEntry[] {
  return lines
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 7 && !f[0]!.startsWith('#'))
    .map((f) => ({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! }));
}

function groups(lines: string[]): GroupEntry[] {
  return lines
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 4 && !f[0]!.startsWith('#'))
    .map((f) => ({ name: f[0]!, gid: Number(f[2]), members: f[3]!.split(',').filter(Boolean) }));
}

const isId = (s: string) => /^\d+$/.test(s);

/**
 * The user of a container process, from the container's own account files.
 * Reads them through the Host seam (inside the root, regular files only, bounded),
 * so a running container cannot point the daemon at a host file or block it.
 */
export async function resolveUser(host: Host, root: string, spec: string, groupAdd: readonly string[] = []): Promise<ExecUser> {
  const [passwdLines, groupLines] = await Promise.all([readLines(host, root, '/etc/passwd'), readLines(host, root, '/etc/group')]);
  return userFrom(passwdLines, groupLines, spec, groupAdd);
}

function userFrom(passwdLines: string[], groupLines: string[], spec: string, groupAdd: readonly string[]): ExecUser {
  const [userPart = '', groupPart] = spec.split(':', 2);
  const users = passwd(passwdLines);
  let user: PasswdEntry | undefined;
  if (userPart === '') user = users.find((u) => u.uid === 0) ?? { name: 'root', uid: 0, gid: 0, home: '/' };
  else if (isId(userPart)) user = users.find((u) => u.uid === Number(userPart)) ?? { name: userPart, uid: Number(userPart), gid: 0, home: '/' };
  else user = users.find((u) => u.name === userPart);
  if (!user) throw invalidParameter(`unable to find user ${userPart}: no matching entries in passwd file`);
  const grs = groups(groupLines);
  let gid = user.gid;
  if (groupPart !== undefined && groupPart !== '') {
    if (isId(groupPart)) gid = Number(groupPart);
    else {
      const g = grs.find((x) => x.name === groupPart);
      if (!g) throw invalidParameter(`unable to find group ${groupPart}: no matching entries in group file`);
      gid = g.gid;
    }
  }
  const extra = new Set<number>();
  // Supplementary groups from /etc/group apply only when no group was given explicitly.
  if (groupPart === undefined) for (const g of grs) if (g.members.includes(user.name) && g.gid !== gid) extra.add(g.gid);
  for (const a of groupAdd) {
    if (isId(a)) extra.add(Number(a));
    else {
      const g = grs.find((x) => x.name === a);
      if (!g) throw invalidParameter(`unable to find group ${a}: no matching entries in group file`);
      extra.add(g.gid);
    }
  }
  return { uid: user.uid, gid, additionalGids: [...extra], home: user.home || '/' };
}

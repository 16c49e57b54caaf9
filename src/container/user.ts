/**
 * `--user name|uid[:group|gid]` resolved against the container's own
 * /etc/passwd and /etc/group, as Docker does at start (libcontainer/user).
 */
import { readFileSync } from 'node:fs';
import { invalidParameter } from '../errdefs/errdefs.js';
import { resolveInRoot } from './rootfs-path.js';

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

function readLines(root: string, path: string): string[] {
  try {
    return readFileSync(resolveInRoot(root, path), 'utf8').split('\n');
  } catch {
    return [];
  }
}

function passwd(root: string): PasswdEntry[] {
  return readLines(root, '/etc/passwd')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 7 && !f[0]!.startsWith('#'))
    .map((f) => ({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! }));
}

function groups(root: string): GroupEntry[] {
  return readLines(root, '/etc/group')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 4 && !f[0]!.startsWith('#'))
    .map((f) => ({ name: f[0]!, gid: Number(f[2]), members: f[3]!.split(',').filter(Boolean) }));
}

const isId = (s: string) => /^\d+$/.test(s);

export function resolveUser(root: string, spec: string, groupAdd: readonly string[] = []): ExecUser {
  const [userPart = '', groupPart] = spec.split(':', 2);
  const users = passwd(root);
  let user: PasswdEntry | undefined;
  if (userPart === '') user = users.find((u) => u.uid === 0) ?? { name: 'root', uid: 0, gid: 0, home: '/' };
  else if (isId(userPart)) user = users.find((u) => u.uid === Number(userPart)) ?? { name: userPart, uid: Number(userPart), gid: 0, home: '/' };
  else user = users.find((u) => u.name === userPart);
  if (!user) throw invalidParameter(`unable to find user ${userPart}: no matching entries in passwd file`);
  const grs = groups(root);
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

/**
 * Direct libc calls through koffi, for the single syscalls on the hot path
 * (mount, umount, mknod, xattrs) where spawning a host tool would cost
 * milliseconds, and for syncfs, which Node does not offer. Loaded lazily so that code importing sys/ for other reasons
 * (and unit tests) does not pay for dlopen.
 *
 * Every wrapper throws a SysError carrying the errno name (EBUSY, ENOENT…)
 * and the call that failed; callers turn it into an EngineError with context.
 */
import koffi from 'koffi';
import { closeSync, promises as fs } from 'node:fs';
import os from 'node:os';

export class SysError extends Error {
  /** A failed system call is the host's failure (errdefs kindOf). */
  readonly kind = 'Internal';
  readonly code: string;
  readonly errno: number;
  constructor(call: string, errno: number) {
    const code = errnoName(errno);
    super(`${call}: ${libc().strerror(errno)} (${code})`);
    this.code = code;
    this.errno = errno;
  }
}

function errnoName(n: number): string {
  for (const [name, value] of Object.entries(os.constants.errno)) if (value === n) return name;
  return `errno ${n}`;
}

interface LibcFns {
  mount: (src: string | null, target: string, fstype: string | null, flags: number, data: string | null) => number;
  umount2: (target: string, flags: number) => number;
  mknod: (path: string, mode: number, dev: bigint | number) => number;
  lsetxattr: (path: string, name: string, value: Buffer, size: number, flags: number) => number;
  lgetxattr: (path: string, name: string, value: Buffer | null, size: number) => number;
  strerror: (n: number) => string;
  syscall: (...args: unknown[]) => number | bigint;
  syncfs: { async: (fd: number, cb: (err: unknown, rc: number) => void) => void };
  socket: (domain: number, type: number, protocol: number) => number;
  bind: (fd: number, addr: Buffer, len: number) => number;
  send: { async: (fd: number, buf: Buffer, len: number, flags: number, cb: (err: unknown, rc: number) => void) => void };
  recv: (fd: number, buf: Buffer, len: number, flags: number) => number;
  setns: (fd: number, nstype: number) => number;
}

let fns: LibcFns | undefined;

function libc(): LibcFns {
  if (fns) return fns;
  const lib = koffi.load('libc.so.6');
  fns = {
    mount: lib.func('int mount(const char *src, const char *target, const char *fstype, unsigned long flags, const char *data)'),
    umount2: lib.func('int umount2(const char *target, int flags)'),
    mknod: lib.func('int mknod(const char *path, uint32_t mode, uint64_t dev)'),
    lsetxattr: lib.func('int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)'),
    lgetxattr: lib.func('intptr_t lgetxattr(const char *path, const char *name, _Out_ void *value, size_t size)'),
    strerror: lib.func('const char *strerror(int errnum)'),
    syscall: lib.func('long syscall(long number, ...)'),
    syncfs: lib.func('int syncfs(int fd)'),
    socket: lib.func('int socket(int domain, int type, int protocol)'),
    bind: lib.func('int bind(int fd, const void *addr, uint32_t len)'),
    send: lib.func('intptr_t send(int fd, const void *buf, size_t len, int flags)'),
    recv: lib.func('intptr_t recv(int fd, _Out_ void *buf, size_t len, int flags)'),
    setns: lib.func('int setns(int fd, int nstype)'),
  } as LibcFns;
  return fns;
}

function check(call: string, rc: number): number {
  if (rc < 0) throw new SysError(call, koffi.errno());
  return rc;
}

export const MS = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  REMOUNT: 0x20,
  BIND: 0x1000,
  REC: 0x4000,
  PRIVATE: 1 << 18,
  SLAVE: 1 << 19,
  SHARED: 1 << 20,
} as const;

export const MNT_DETACH = 2;

export function mount(src: string | null, target: string, fstype: string | null, flags: number, data: string | null): void {
  check(`mount ${fstype ?? 'bind'} on ${target}`, libc().mount(src, target, fstype, flags, data));
}

export function umount(target: string, flags = 0): void {
  check(`umount ${target}`, libc().umount2(target, flags));
}

/** makedev as glibc encodes it. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffn) << 8n) | ((ma & ~0xfffn) << 32n) | (mi & 0xffn) | ((mi & ~0xffn) << 12n);
}

export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;

export function mknod(path: string, mode: number, major = 0, minor = 0): void {
  check(`mknod ${path}`, libc().mknod(path, mode, makedev(major, minor)));
}

export function lsetxattr(path: string, name: string, value: Buffer): void {
  check(`setxattr ${name} on ${path}`, libc().lsetxattr(path, name, value, value.length, 0));
}

const SYS_OPENAT2 = 437; // x86_64 and aarch64 alike (glibc has no wrapper)
const O_CLOEXEC = 0o2000000;

/** openat2(2)'s resolve flags. */
export const RESOLVE = {
  NO_XDEV: 0x01,
  NO_MAGICLINKS: 0x02,
  NO_SYMLINKS: 0x04,
  BENEATH: 0x08,
  IN_ROOT: 0x10,
} as const;

/**
 * openat2(2): opens path relative to dirfd with the kernel's own resolution
 * rules (RESOLVE_IN_ROOT, RESOLVE_BENEATH…), atomically. Returns the new fd
 * (O_CLOEXEC is always added).
 */
export function openat2(dirfd: number, path: string, flags: number, resolve: number): number {
  const how = Buffer.alloc(24);
  how.writeBigUInt64LE(BigInt(flags | O_CLOEXEC), 0);
  how.writeBigUInt64LE(0n, 8);
  how.writeBigUInt64LE(BigInt(resolve), 16);
  const rc = Number(libc().syscall(SYS_OPENAT2, 'int', dirfd, 'str', path, 'void *', how, 'size_t', how.length));
  return check(`openat2 ${path}`, rc);
}

/** The xattr's value, or undefined when the file does not carry it. */
export function lgetxattr(path: string, name: string): Buffer | undefined {
  const l = libc();
  const buf = Buffer.alloc(4096);
  const n = l.lgetxattr(path, name, buf, buf.length);
  if (n < 0) {
    const e = koffi.errno();
    if (e === os.constants.errno.ENODATA) return undefined;
    throw new SysError(`getxattr ${name} on ${path}`, e);
  }
  return buf.subarray(0, n);
}

/**
 * syncfs(2): writes every dirty inode and block of the filesystem holding
 * `path` to disk (one call instead of an fsync per file). It runs in koffi's
 * worker thread, since it can take long and must not stall the event loop;
 * koffi hands the call's errno to the callback.
 */
export async function syncFilesystem(path: string): Promise<void> {
  const fh = await fs.open(path, 'r');
  try {
    await new Promise<void>((resolve, reject) => {
      libc().syncfs.async(fh.fd, (err, rc) => {
        if (err) reject(err instanceof Error ? err : new Error(String(err)));
        else if (rc < 0) reject(new SysError(`syncfs ${path}`, koffi.errno()));
        else resolve();
      });
    });
  } finally {
    await fh.close();
  }
}

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const CLONE_NEWNET = 0x40000000;
const MSG_DONTWAIT = 0x40;

/**
 * A netlink socket of `protocol`, bound (the kernel picks its port id). With
 * `netns`, the socket belongs to the network namespace `netns.fd`: the calling
 * thread enters it, opens the socket and returns to `netns.selfFd` (a socket
 * keeps the namespace it was made in). All synchronous, so no other code of this thread
 * runs meanwhile.
 */
export function netlinkSocket(protocol: number, netns?: { fd: number; selfFd: number }): number {
  const l = libc();
  if (netns) check('setns into a container network namespace', l.setns(netns.fd, CLONE_NEWNET));
  let fd: number;
  try {
    fd = l.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
    if (fd < 0) throw new SysError('socket(AF_NETLINK)', koffi.errno());
  } finally {
    // Staying in the container's namespace would move every later socket of the daemon there.
    if (netns && l.setns(netns.selfFd, CLONE_NEWNET) < 0) {
      process.stderr.write(`berthd: cannot return to its own network namespace (${errnoName(koffi.errno())}); exiting\n`);
      process.abort();
    }
  }
  const addr = Buffer.alloc(12);
  addr.writeUInt16LE(AF_NETLINK, 0);
  if (l.bind(fd, addr, addr.length) < 0) {
    const e = koffi.errno();
    closeSync(fd);
    throw new SysError('bind(AF_NETLINK)', e);
  }
  return fd;
}

/** send(2) in koffi's worker thread: the kernel handles a netlink request inside the call, under its locks. */
export function sendAsync(fd: number, buf: Buffer, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    libc().send.async(fd, buf, buf.length, 0, (err, rc) => {
      if (err) reject(err instanceof Error ? err : new Error(String(err)));
      else if (rc < 0) reject(new SysError(`send ${what}`, koffi.errno()));
      else resolve();
    });
  });
}

/** One datagram already queued (netlink answers before send returns); undefined when none is. */
export function recvNow(fd: number, buf: Buffer, what: string): number | undefined {
  const n = libc().recv(fd, buf, buf.length, MSG_DONTWAIT);
  if (n >= 0) return n;
  const e = koffi.errno();
  if (e === os.constants.errno.EAGAIN) return undefined;
  throw new SysError(`recv ${what}`, e);
}

/** The C library's text for an errno ("File exists") and its name (EEXIST). */
export function describeErrno(errno: number): { text: string; code: string } {
  return { text: libc().strerror(errno), code: errnoName(errno) };
}

/** Host helpers for the bench: timed commands, free ports and subnets, /proc readings. */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';

export interface CmdOut {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command to completion; `ms` is the wall time from spawn to exit. */
export function runCmd(argv: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 300_000): Promise<CmdOut> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', () => {
      // The exit event ends the timed part; the pipes may still drain.
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), ms: performance.now() - t0 });
    });
  });
}

/** Like runCmd but throws with the command's stderr when it fails. */
export async function mustRun(argv: string[], env?: NodeJS.ProcessEnv, timeoutMs?: number): Promise<CmdOut> {
  const r = await runCmd(argv, env, timeoutMs);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} exited with ${r.code}: ${(r.stderr || r.stdout).trim().slice(0, 600)}`);
  return r;
}

export function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout : '';
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** A /24 inside 10.0.0.0/8 that no route on the host touches. */
export function freeSubnet(): { subnet: string; gateway: string } {
  const routes = sh('ip', ['-4', 'route', 'show', 'table', 'all']);
  for (;;) {
    const a = 100 + Math.floor(Math.random() * 150);
    const b = Math.floor(Math.random() * 256);
    const pre = `10.${a}.${b}.`;
    if (!routes.includes(pre)) return { subnet: `${pre}0/24`, gateway: `${pre}1` };
  }
}

/** MemAvailable in kB. */
export function memAvailableKb(): number {
  const m = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/** MemAvailable averaged over a few readings (kB). */
export async function steadyMemAvailableKb(readings = 5, gapMs = 300): Promise<number> {
  let sum = 0;
  for (let i = 0; i < readings; i++) {
    sum += memAvailableKb();
    await sleep(gapMs);
  }
  return sum / readings;
}

export interface ProcInfo {
  pid: number;
  cmdline: string[];
}

export function processes(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (cmdline.length) out.push({ pid: Number(name), cmdline });
    } catch {
      /* ended meanwhile */
    }
  }
  return out;
}

/** Proportional set size of a process in kB (shared pages split between their users; 0 when it is gone). */
export function pssKb(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Parent pid of a process (0 when it is gone). */
export function ppidOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return 0;
  }
}

/** Resident set size of a process in kB (0 when it is gone). */
export function rssKb(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Whether a process exists and is not a zombie (an exited child not yet reaped still answers kill 0). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Blocks the thread (for synchronous cleanup in exit hooks). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The host's own address: first global IPv4 on the default route's device. */
export function hostAddress(): string | undefined {
  const dev = /dev (\S+)/.exec(sh('ip', ['-4', 'route', 'show', 'default']))?.[1];
  if (!dev) return undefined;
  return /inet (\d+\.\d+\.\d+\.\d+)\//.exec(sh('ip', ['-4', '-o', 'addr', 'show', 'dev', dev, 'scope', 'global']))?.[1];
}

/**
 * Host-side helpers for the networking suites: free subnets and ports, an
 * HTTP client, "another host" in a network namespace, host binaries
 * bind-mounted into containers, busybox httpd command lines. Traffic stays
 * on this machine: loopback, test daemons' bridges, and the namespaces made
 * here (removed afterwards, even when a test fails).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { realpathSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import dgram from 'node:dgram';
import { basename } from 'node:path';
import { runCmd } from './clients.js';

/** `10.a.b.0/24` that no route on the host touches (as the harness picks the daemons' subnets). */
export function freeSubnet(): string {
  const routes = spawnSync('ip', ['-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' }).stdout ?? '';
  for (;;) {
    const net24 = `10.${100 + Math.floor(Math.random() * 150)}.${Math.floor(Math.random() * 256)}.`;
    if (!routes.includes(net24)) return `${net24}0/24`;
  }
}

export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '0.0.0.0', exclusive: true }, () =>
      srv.close(() => {
        const u = dgram.createSocket('udp4');
        u.once('error', () => resolve(false));
        u.bind({ port, address: '0.0.0.0', exclusive: true }, () => u.close(() => resolve(true)));
      }),
    );
  });
}

/** `n` consecutive host ports free on TCP and UDP, below the ephemeral range (where -P picks). */
export async function freePorts(n: number): Promise<number> {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 10_000);
    let ok = true;
    for (let p = base; p < base + n && ok; p++) ok = await portFree(p);
    if (ok) return base;
  }
}

/** GET / over HTTP/1.0-ish node client; the body, trimmed. Rejects on error or timeout. */
export function httpGet(host: string, port: number, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: '/', timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body.trim()));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}


// The same clients as scripts, for the remote host (argv: host port [msg]).
export const HTTP_GET_JS = `const [h,p,t]=process.argv.slice(1);const r=require('http').get({host:h,port:+p,path:'/',timeout:+t,agent:false},res=>{let b='';res.on('data',c=>b+=c);res.on('end',()=>{process.stdout.write(b.trim());process.exit(0)})});r.on('timeout',()=>{process.stderr.write('timeout');process.exit(2)});r.on('error',e=>{process.stderr.write(e.code||e.message);process.exit(1)});`;
const UDP_ASK_JS = `const [h,p,m]=process.argv.slice(1);const s=require('dgram').createSocket('udp4');const send=()=>s.send(m,+p,h);setInterval(send,300);setTimeout(()=>{process.stderr.write('timeout');process.exit(2)},3000);s.on('message',x=>{process.stdout.write(String(x));process.exit(0)});send();`;
const WHOAMI_SERVER_JS = `const [h,p]=process.argv.slice(1);require('http').createServer((q,s)=>s.end(q.socket.remoteAddress)).listen(+p,h,()=>console.log('listening'));`;

/**
 * Another host: a network namespace with a veth to the host, `addr` inside
 * and `hostAddr` on the host side (the host's "other address" as the remote
 * host sees it); default route via the host. With `loopbackViaHost` it is a
 * hostile neighbour: its own loopback stays down and 127.0.0.1 is routed to
 * the host, so its packets to 127.0.0.1 arrive on the host's veth.
 */
export class RemoteHost {
  readonly id = randomBytes(3).toString('hex');
  readonly ns = `btremote${this.id}`;
  readonly hostIf = `btrh${this.id}`;
  readonly hostAddr: string;
  readonly addr: string;
  private readonly servers: ChildProcess[] = [];

  constructor(private readonly opts: { loopbackViaHost?: boolean } = {}) {
    const net24 = freeSubnet().replace(/0\/24$/, '');
    this.hostAddr = `${net24}1`;
    this.addr = `${net24}2`;
  }

  setup(): void {
    remotes.add(this);
    const peer = `btrn${this.id}`;
    for (const args of [
      ['netns', 'add', this.ns],
      ['link', 'add', this.hostIf, 'type', 'veth', 'peer', 'name', peer, 'netns', this.ns],
      ['addr', 'add', `${this.hostAddr}/24`, 'dev', this.hostIf],
      ['link', 'set', this.hostIf, 'up'],
      ['-n', this.ns, 'addr', 'add', `${this.addr}/24`, 'dev', peer],
      ['-n', this.ns, 'link', 'set', peer, 'up'],
      ['-n', this.ns, 'route', 'add', 'default', 'via', this.hostAddr],
      ...(this.opts.loopbackViaHost
        ? [['-n', this.ns, 'route', 'add', '127.0.0.1/32', 'via', this.hostAddr]]
        : [['-n', this.ns, 'link', 'set', 'lo', 'up']]),
    ]) {
      const r = spawnSync('ip', args, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
    }
    // Answers from 127.0.0.1 would be martians here otherwise.
    if (this.opts.loopbackViaHost) spawnSync('ip', ['netns', 'exec', this.ns, 'sysctl', '-q', '-w', `net.ipv4.conf.${peer}.route_localnet=1`]);
  }

  /** Runs a node script inside the namespace. */
  node(script: string, args: string[], timeoutMs = 8000) {
    return runCmd(['ip', 'netns', 'exec', this.ns, process.execPath, '-e', script, ...args], { timeoutMs });
  }

  async httpGet(host: string, port: number, timeoutMs = 3000): Promise<string> {
    const r = await this.node(HTTP_GET_JS, [host, String(port), String(timeoutMs)]);
    if (r.code !== 0) throw new Error(`remote GET ${host}:${port}: ${r.stderr || r.code}`);
    return r.stdout;
  }

  async udpAsk(host: string, port: number, msg: string): Promise<string> {
    const r = await this.node(UDP_ASK_JS, [host, String(port), msg]);
    if (r.code !== 0) throw new Error(`remote UDP ${host}:${port}: ${r.stderr || r.code}`);
    return r.stdout;
  }

  /** An HTTP server on addr:port that answers with the client's address. */
  async whoamiServer(port: number): Promise<void> {
    const child = spawn('ip', ['netns', 'exec', this.ns, process.execPath, '-e', WHOAMI_SERVER_JS, this.addr, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.servers.push(child);
    await new Promise<void>((resolve, reject) => {
      child.stdout!.once('data', () => resolve());
      child.once('exit', (c) => reject(new Error(`whoami server exited with ${c}`)));
    });
  }

  cleanup(): void {
    for (const s of this.servers) s.kill('SIGKILL');
    spawnSync('ip', ['netns', 'del', this.ns], { stdio: 'ignore' });
    spawnSync('ip', ['link', 'del', this.hostIf], { stdio: 'ignore' });
    remotes.delete(this);
  }
}

const remotes = new Set<RemoteHost>();
process.on('exit', () => {
  for (const r of remotes) r.cleanup();
});

/** A host binary bind-mounted read-only with its shared libraries, run through its loader. */
export function hostBinary(bin: string): { mounts: string[]; argv: string[] } {
  const real = realpathSync(bin);
  const name = basename(bin);
  const mounts = ['-v', `${real}:/hostbin/${name}:ro`];
  const ldd = spawnSync('ldd', [real], { encoding: 'utf8' }).stdout ?? '';
  for (const line of ldd.split('\n')) {
    const lib = /=>\s+(\/\S+)/.exec(line)?.[1];
    const loader = /^\s*(\/\S+)\s+\(/.exec(line)?.[1];
    if (lib) mounts.push('-v', `${realpathSync(lib)}:/hostlib/${basename(lib)}:ro`);
    else if (loader) mounts.push('-v', `${realpathSync(loader)}:/hostlib/ld.so:ro`);
  }
  return { mounts, argv: ['/hostlib/ld.so', '--library-path', '/hostlib', `/hostbin/${name}`] };
}


/** busybox httpd in the foreground on each port, answering `<name>` on the first and `<name>-<port>` on the others. */
export function httpd(name: string, ports: number[] = [80]): string[] {
  const [first, ...more] = ports;
  const setup = ports.map((p) => `mkdir -p /www${p} && echo ${p === first ? name : `${name}-${p}`} > /www${p}/index.html`).join(' && ');
  const bg = more.map((p) => `httpd -p ${p} -h /www${p}`).join(' && ');
  return ['busybox', 'sh', '-c', `${setup}${bg ? ` && ${bg}` : ''} && exec httpd -f -p ${first} -h /www${first}`];
}

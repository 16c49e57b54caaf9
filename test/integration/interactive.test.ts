/**
 * Interactive containers end to end (issue 4): real terminals (tmux, fixed
 * size) driving `run -it`, `exec -it`, detach keys and `attach` through
 * berth's CLI and the real docker CLI; piped stdin and output of 50 MB
 * intact in both directions (run -i, exec -i, attach, logs); clients killed
 * mid-stream; -t without -i, -a, --sig-proxy, start -a -i, exec exit codes
 * and errors; ExecIDs, wait conditions and attach over websocket through
 * dockerode and raw HTTP. The last test measures `exec true` (reported, not
 * asserted).
 *
 * Terminals run on a private tmux server (-L), killed after each suite even
 * when a test fails. Containers run with `--network none`.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type TestDaemon } from '../harness/daemon.js';
import { BERTH_BIN, cli, sdk, type CliName, cliSession } from '../harness/clients.js';
import { loadBusybox } from '../harness/fixtures.js';
import { sleep, until, pidAlive } from '../harness/wait.js';




const NONE = ['--network', 'none'];
const MB50 = 50_000_000;
const SHA = /^([0-9a-f]{64})\s/m;

/** The argv prefix that runs a client against the daemon. */
function cliArgv(which: CliName, d: TestDaemon): string[] {
  return which === 'berth' ? [BERTH_BIN, '-H', d.host] : ['docker', '-H', d.host];
}

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

// --- terminals ------------------------------------------------------------------

const TMUX = ['-L', `berth-it-${process.pid}`, '-f', '/dev/null'];

function tmux(args: string[]): string {
  const r = spawnSync('tmux', [...TMUX, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A session that keeps the tmux server alive between tests (it exits with its last session). */
function startTmuxServer(): void {
  tmux(['new-session', '-d', '-s', `keep-${process.pid}`, 'sleep 3600']);
}

function killTmuxServer(): void {
  spawnSync('tmux', [...TMUX, 'kill-server'], { stdio: 'ignore' });
  // kill-server leaves its socket file behind.
  rmSync(join(process.env['TMUX_TMPDIR'] ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, TMUX[1]!), { force: true });
}
// If the test process ends without its after-hooks, the terminals go too.
process.on('exit', killTmuxServer);

let terms = 0;

/** A real terminal: a bash in a detached tmux session of a fixed size. */
class Term {
  readonly name = `t${process.pid}-${++terms}`;

  constructor(env: Record<string, string>, cols = 100, rows = 30) {
    const exports = Object.entries(env).map(([k, v]) => `${k}=${shq(v)}`).join(' ');
    tmux(['new-session', '-d', '-x', String(cols), '-y', String(rows), '-s', this.name, `env ${exports} PS1='host$ ' bash --norc --noprofile`]);
    tmux(['set-option', '-t', this.name, 'history-limit', '10000']);
  }

  /** Types a line and Enter. */
  type(line: string): void {
    tmux(['send-keys', '-t', this.name, '-l', line]);
    tmux(['send-keys', '-t', this.name, 'Enter']);
  }

  /** Presses keys by tmux name (C-p, C-q, x). */
  keys(...keys: string[]): void {
    tmux(['send-keys', '-t', this.name, ...keys]);
  }

  resize(cols: number, rows: number): void {
    tmux(['resize-window', '-t', this.name, '-x', String(cols), '-y', String(rows)]);
  }

  /** Everything the terminal shows and scrolled off, wrapped lines joined. */
  screen(): string {
    return tmux(['capture-pane', '-p', '-J', '-S', '-', '-t', this.name]);
  }

  /** Waits until the terminal shows re; returns the match. */
  async expect(re: RegExp, what = String(re), timeoutMs = 15_000): Promise<RegExpMatchArray> {
    try {
      return await until(what, () => this.screen().match(re), timeoutMs, 50);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- terminal ---\n${this.screen().replace(/\n+$/, '')}\n---`);
    }
  }

  /**
   * Types line until the terminal shows re: for effects that travel another
   * path than the typed keys (a resize goes CLI → daemon → monitor while the
   * keys go through the attach stream, and may arrive after them).
   */
  async retype(line: string, re: RegExp, what: string, timeoutMs = 15_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.type(line);
      try {
        return await this.expect(re, what, Math.min(1_000, Math.max(deadline - Date.now(), 1)));
      } catch (e) {
        if (Date.now() >= deadline) throw e;
      }
    }
  }

  /** Runs a line in the local (host) shell and checks the terminal is back in cooked mode with echo. */
  async expectSane(tag: string): Promise<void> {
    this.type(`stty -a | tr -s ' ;' '\\n' | grep -E '^-?(icanon|echo)$' | paste -sd, - | sed 's/^/${tag}=/'`);
    const m = await this.expect(new RegExp(`${tag}=(-?icanon,-?echo)`));
    assert.equal(m[1], 'icanon,echo', `the terminal was left in raw mode:\n${this.screen()}`);
  }

  kill(): void {
    spawnSync('tmux', [...TMUX, 'kill-session', '-t', this.name], { stdio: 'ignore' });
  }
}

// --- processes --------------------------------------------------------------------

interface Streamed {
  code: number | null;
  signal: NodeJS.Signals | null;
  sha: string;
  bytes: number;
  stderr: string;
}

/** Runs argv with stdin from a file (or the given bytes), hashing stdout as it streams. */
function hashRun(argv: string[], opts: { stdinFile?: string; input?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<Streamed> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const hash = createHash('sha256');
    let bytes = 0;
    let stderr = '';
    // A reader that falls behind now and then (as a `| sha256sum` does), so the client's writes to
    // the pipe back up: output must still be complete when it exits.
    let sincePause = 0;
    child.stdout.on('data', (b: Buffer) => {
      hash.update(b);
      bytes += b.length;
      sincePause += b.length;
      if (sincePause >= 8_000_000) {
        sincePause = 0;
        child.stdout.pause();
        setTimeout(() => child.stdout.resume(), 50);
      }
    });
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 90_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, sha: hash.digest('hex'), bytes, stderr });
    });
    child.stdin.on('error', () => {});
    if (opts.stdinFile) createReadStream(opts.stdinFile).pipe(child.stdin);
    else child.stdin.end(opts.input ?? '');
  });
}

/** A client process we watch while it runs (for signals and kills). */
class Proc {
  readonly child;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(argv: string[], env: Record<string, string> = {}) {
    this.child = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (b: Buffer) => {
      this.stdout += b.toString();
      // Keep only the tail of endless output.
      if (this.stdout.length > 1_000_000) this.stdout = this.stdout.slice(-100_000);
    });
    this.child.stderr.on('data', (b: Buffer) => (this.stderr += b.toString()));
    this.child.stdin.on('error', () => {});
    this.exited = new Promise((resolve) => this.child.on('close', (code, signal) => resolve({ code, signal })));
  }

  async waitOut(re: RegExp, what: string, timeoutMs = 15_000): Promise<void> {
    await until(`${what} (stdout ${JSON.stringify(this.stdout.slice(-200))}, stderr ${JSON.stringify(this.stderr)})`, () => re.test(this.stdout), timeoutMs, 25);
  }

  async exit(timeoutMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const timeout = sleep(timeoutMs).then(() => undefined);
    const r = await Promise.race([this.exited, timeout]);
    if (!r) {
      this.child.kill('SIGKILL');
      throw new Error(`the client did not exit within ${timeoutMs} ms (stdout ${JSON.stringify(this.stdout.slice(-300))}, stderr ${JSON.stringify(this.stderr)})`);
    }
    return r;
  }
}

// --- raw HTTP and websocket ---------------------------------------------------------

function call(d: TestDaemon, method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({ socketPath: d.socket, method, path, headers: data ? { 'Content-Type': 'application/json' } : {} }, (res) => {
      let s = '';
      res.on('data', (c: Buffer) => (s += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body: s }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** A hijacked attach (`Upgrade: tcp`, as the docker CLI does); out collects everything after the 101 head. */
function rawAttach(d: TestDaemon, id: string, query: string): Promise<{ socket: net.Socket; out: () => string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(d.socket);
    let buf = Buffer.alloc(0);
    let upgraded = false;
    socket.on('data', (b: Buffer) => {
      buf = Buffer.concat([buf, b]);
      if (upgraded) return;
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString();
      if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(`attach was not upgraded: ${head}`));
      upgraded = true;
      buf = buf.subarray(end + 4);
      resolve({ socket, out: () => buf.toString() });
    });
    socket.on('error', reject);
    socket.write(`POST /v1.47/containers/${id}/attach?${query} HTTP/1.1\r\nHost: api.moby.localhost\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n`);
  });
}

interface WsFrame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

/** A minimal RFC 6455 client over the daemon's unix socket (frames masked, as clients must). */
class WsClient {
  private buf = Buffer.alloc(0);
  readonly frames: WsFrame[] = [];
  closed = false;

  private constructor(
    private readonly socket: net.Socket,
    readonly status: number,
    readonly headers: Record<string, string>,
    readonly body: string,
  ) {
    socket.on('data', (d: Buffer) => this.parse(d));
    socket.on('close', () => (this.closed = true));
  }

  static connect(d: TestDaemon, path: string, key = randomBytes(16).toString('base64')): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(d.socket);
      let head = Buffer.alloc(0);
      const onData = (b: Buffer) => {
        head = Buffer.concat([head, b]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        const [statusLine, ...lines] = head.subarray(0, end).toString('latin1').split('\r\n');
        const headers: Record<string, string> = {};
        for (const l of lines) {
          const i = l.indexOf(':');
          headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
        }
        const c = new WsClient(socket, Number(statusLine!.split(' ')[1]), headers, '');
        const rest = head.subarray(end + 4);
        if (c.status !== 101) {
          // An error reply: collect its body until the server closes.
          let body = rest.toString();
          socket.on('data', (x: Buffer) => (body += x.toString()));
          socket.on('close', () => resolve(new WsClient(socket, c.status, headers, body)));
          return;
        }
        if (rest.length) c.parse(rest);
        resolve(c);
      };
      socket.on('data', onData);
      socket.on('error', reject);
      socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nOrigin: http://localhost\r\n\r\n`);
    });
  }

  private parse(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      const b = this.buf;
      if (b.length < 2) return;
      let len = b[1]! & 0x7f;
      let off = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        len = Number(b.readBigUInt64BE(2));
        off = 10;
      }
      assert.equal(b[1]! & 0x80, 0, 'the server masked a frame');
      if (b.length < off + len) return;
      this.frames.push({ fin: (b[0]! & 0x80) !== 0, opcode: b[0]! & 0x0f, payload: b.subarray(off, off + len) });
      this.buf = b.subarray(off + len);
    }
  }

  send(opcode: number, payload: Buffer | string): void {
    const data = Buffer.from(payload);
    const mask = randomBytes(4);
    const len = data.length;
    const head = len < 126 ? Buffer.from([0x80 | opcode, 0x80 | len]) : Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 0xff]);
    const body = Buffer.from(data.map((x, i) => x ^ mask[i % 4]!));
    this.socket.write(Buffer.concat([head, mask, body]));
  }

  /** The payloads of data frames so far, as text. */
  text(): string {
    return Buffer.concat(this.frames.filter((f) => f.opcode === 1 || f.opcode === 2).map((f) => f.payload)).toString();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

// --- through each CLI ----------------------------------------------------------------

for (const client of ['berth', 'docker'] as CliName[]) {
  describe(`interactive containers through the ${client} CLI`, () => {
    let d: TestDaemon;
    let work: string;
    let env: Record<string, string>;
    /** The client command line for a terminal. */
    let cmd: string;
    const { run, ok, inspect } = cliSession(client, () => d);
    const open: Term[] = [];
    const term = () => {
      const t = new Term(env);
      open.push(t);
      return t;
    };
    const closeTerms = () => {
      for (const t of open.splice(0)) t.kill();
    };
    /** 50 MB of random bytes in a file (made once per suite), and their hash. */
    let input: { file: string; data: Buffer; sha: string } | undefined;
    const bigInput = () => {
      if (!input) {
        const data = randomBytes(MB50);
        const file = join(work, 'in.bin');
        writeFileSync(file, data);
        input = { file, data, sha: createHash('sha256').update(data).digest('hex') };
      }
      return input;
    };

    before(async () => {
      d = await startDaemon();
      await loadBusybox(d);
      work = join(d.base, 'work');
      mkdirSync(work);
      env = { DOCKER_CONFIG: join(d.base, 'docker-config') };
      cmd = cliArgv(client, d).join(' ');
      startTmuxServer();
    });
    after(async () => {
      closeTerms();
      killTmuxServer();
      await d?.cleanup();
    });

    it('run -it: a terminal in the container (tty, size, resize), detach, attach, exit 3, terminal restored', async (t) => {
      t.after(closeTerms);
      const name = `it-${client}`;
      const tm = term();
      tm.type(`${cmd} run -it --name ${name} ${NONE.join(' ')} busybox sh; echo EXIT1=$?`);
      await tm.expect(/^\/ # /m, 'the container shell prompt');
      tm.type('echo TTY=$(tty) SIZE=$(stty size) SUM=$((40+2))');
      const m = await tm.expect(/TTY=(\/dev\/pts\/\d+) SIZE=(\d+ \d+) SUM=42/);
      assert.equal(m[2], '30 100', 'stty size is not the terminal size');

      tm.resize(120, 40);
      await tm.retype('echo RESIZED=$(stty size)', /RESIZED=40 120/, 'stty size to follow the resize');

      // ctrl-p ctrl-q: the CLI exits 0, the container runs on.
      tm.keys('C-p', 'C-q');
      await tm.expect(/EXIT1=0/, 'the CLI to exit after the detach keys');
      assert.equal(await inspect(name, '{{.State.Running}}'), 'true');
      await tm.expectSane('MODES1');

      // attach comes back to the same shell: typing works again. Detaching from attach is, as in
      // docker, reported: "read escape sequence", status 1.
      tm.type(`${cmd} attach ${name}; echo EXIT2=$?`);
      await tm.retype('echo BACK=$((6*7))', /BACK=42/, 'output from the re-attached shell');
      tm.keys('C-p', 'C-q');
      await tm.expect(/read escape sequence\s+EXIT2=1/, 'attach to exit after the detach keys');
      assert.equal(await inspect(name, '{{.State.Running}}'), 'true');
      // Once more: exit 3 in the shell is attach's exit code.
      tm.type(`${cmd} attach ${name}; echo EXIT4=$?`);
      await tm.retype('echo AGAIN=$((7*7))', /AGAIN=49/, 'output from the shell attached again');
      tm.type('exit 3');
      await tm.expect(/EXIT4=3/, 'attach to exit with the container\'s code');
      assert.equal(await inspect(name, '{{.State.Status}} {{.State.ExitCode}}'), 'exited 3');
      await tm.expectSane('MODES2');

      // A fresh run -it --rm whose shell exits 3 gives the run CLI exit code 3.
      tm.type(`${cmd} run -it --rm ${NONE.join(' ')} busybox sh; echo EXIT3=$?`);
      await until('the second container shell', () => /EXIT4=3[\s\S]*\/ # /.test(tm.screen()), 15_000, 50);
      tm.type('exit 3');
      await tm.expect(/EXIT3=3/, 'run -it to exit with 3');
      await tm.expectSane('MODES3');
      await ok(['rm', name]);
    });

    it('run -it --detach-keys ctrl-x,x: the custom sequence detaches, the default does not', async (t) => {
      t.after(closeTerms);
      const name = `dk-${client}`;
      const tm = term();
      tm.type(`${cmd} run -it --detach-keys ctrl-x,x --name ${name} ${NONE.join(' ')} busybox sh; echo EXIT=$?`);
      await tm.expect(/^\/ # /m, 'the container shell prompt');
      // ctrl-p ctrl-q is not the sequence now: it reaches the shell (whose line we then clear with ctrl-u).
      tm.keys('C-p', 'C-q', 'C-u');
      tm.type('echo STILL=$((1+1))');
      await tm.expect(/STILL=2/, 'the session to stay attached after ctrl-p ctrl-q');
      tm.keys('C-x', 'x');
      await tm.expect(/EXIT=0/, 'the CLI to exit after ctrl-x x');
      assert.equal(await inspect(name, '{{.State.Running}}'), 'true');
      await tm.expectSane('MODES');
      await ok(['rm', '-f', name]);
    });

    it('exec -it: a terminal in a running container (tty, size, resize), ExecIDs, exit 3, detach', async (t) => {
      t.after(closeTerms);
      const name = `ex-${client}`;
      await ok(['run', '-d', '--name', name, ...NONE, 'busybox', 'sleep', '600']);
      const id = await inspect(name, '{{.Id}}');
      const tm = term();
      tm.type(`${cmd} exec -it ${name} sh; echo EXIT1=$?`);
      await tm.expect(/^\/ # /m, 'the exec shell prompt');
      tm.type('echo TTY=$(tty) SIZE=$(stty size) PID1=$(cat /proc/1/comm)');
      const m = await tm.expect(/TTY=(\/dev\/pts\/\d+) SIZE=(\d+ \d+) PID1=(\w+)/);
      assert.equal(m[2], '30 100');
      assert.equal(m[3], 'sleep', 'the exec does not run in the container');
      // The running session shows in inspect.
      const execIds = (await sdk(d).getContainer(id).inspect()).ExecIDs ?? [];
      assert.equal(execIds.length, 1, `ExecIDs: ${JSON.stringify(execIds)}`);
      const ei = await sdk(d).getExec(execIds[0]!).inspect();
      assert.equal(ei.Running, true);
      assert.equal(ei.ProcessConfig.tty, true);

      tm.resize(120, 40);
      await tm.retype('echo RESIZED=$(stty size)', /RESIZED=40 120/, 'stty size to follow the resize');
      tm.type('exit 3');
      await tm.expect(/EXIT1=3/, 'exec -it to exit with 3');
      await tm.expectSane('MODES1');
      const after = await sdk(d).getExec(execIds[0]!).inspect();
      assert.equal(after.Running, false);
      assert.equal(after.ExitCode, 3);
      assert.deepEqual((await sdk(d).getContainer(id).inspect()).ExecIDs ?? [], []);

      // ctrl-p ctrl-q detaches from an exec too ("read escape sequence", status 1, as docker's exec); the container runs on.
      tm.resize(100, 30);
      tm.type(`${cmd} exec -it ${name} sh; echo EXIT2=$?`);
      await until('the second exec shell', () => /EXIT1=3[\s\S]*\/ # /.test(tm.screen()), 15_000, 50);
      tm.type('echo SECOND=$((2+3))');
      await tm.expect(/SECOND=5/);
      tm.keys('C-p', 'C-q');
      await tm.expect(/read escape sequence\s+EXIT2=1/, 'the CLI to exit after the detach keys');
      assert.equal(await inspect(name, '{{.State.Running}}'), 'true');
      await tm.expectSane('MODES2');
      await ok(['rm', '-f', name]);
    });

    it('run -i: 50 MB of piped stdin arrives intact, in the container and back out', async () => {
      const { file, data, sha: want } = bigInput();
      const argv = cliArgv(client, d);

      const inside = await run(['run', '-i', '--rm', ...NONE, 'busybox', 'sh', '-c', 'cat | sha256sum'], { input: data, timeoutMs: 90_000 });
      assert.equal(inside.code, 0, inside.stderr);
      assert.equal(inside.stdout, `${want}  -\n`, 'the container received other bytes');

      const round = await hashRun([...argv, 'run', '-i', '--rm', ...NONE, 'busybox', 'cat'], { stdinFile: file, env });
      assert.equal(round.code, 0, round.stderr);
      assert.equal(round.bytes, MB50);
      assert.equal(round.sha, want, 'cat gave back other bytes');
    });

    it('exec -i: 50 MB of piped stdin arrives intact', async () => {
      const name = `exi-${client}`;
      await ok(['run', '-d', '--name', name, ...NONE, 'busybox', 'sleep', '600']);
      const { file, sha: want } = bigInput();
      const r = await hashRun([...cliArgv(client, d), 'exec', '-i', name, 'cat'], { stdinFile: file, env });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.bytes, MB50);
      assert.equal(r.sha, want);
      await ok(['rm', '-f', name]);
    });

    it('-i without -t: stdout and stderr stay apart, EOF closes the container\'s stdin', async () => {
      const r = await run(['run', '-i', '--rm', ...NONE, 'busybox', 'sh', '-c', 'cat; echo err >&2'], { input: 'hello\nworld\n', timeoutMs: 20_000 });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'hello\nworld\n');
      assert.equal(r.stderr, 'err\n');
      // The same through exec -i.
      const name = `apart-${client}`;
      await ok(['run', '-d', '--name', name, ...NONE, 'busybox', 'sleep', '600']);
      const e = await run(['exec', '-i', name, 'sh', '-c', 'cat; echo err >&2; exit 4'], { input: 'via exec\n', timeoutMs: 20_000 });
      assert.equal(e.code, 4, e.stderr);
      assert.equal(e.stdout, 'via exec\n');
      assert.equal(e.stderr, 'err\n');
      await ok(['rm', '-f', name]);
    });

    it('50 MB of container output arrives intact in run (foreground), attach and logs', async () => {
      const script = `head -c ${MB50} /dev/urandom > /d; sha256sum /d >&2; cat /d`;
      const argv = cliArgv(client, d);
      const name = `big-${client}`;
      const fg = await hashRun([...argv, 'run', '--name', name, ...NONE, 'busybox', 'sh', '-c', script], { env });
      assert.equal(fg.code, 0, fg.stderr);
      const inner = fg.stderr.match(SHA)?.[1];
      assert.ok(inner, `no hash on stderr: ${fg.stderr}`);
      assert.equal(fg.bytes, MB50);
      assert.equal(fg.sha, inner, 'run received other bytes than the container wrote');

      const logs = await hashRun([...argv, 'logs', name], { env });
      assert.equal(logs.code, 0, logs.stderr);
      assert.equal(logs.bytes, MB50);
      assert.equal(logs.sha, inner, 'logs gave other bytes than the container wrote');
      assert.match(logs.stderr, new RegExp(`^${inner}  /d\\n$`));

      // attach: the container waits for a line on stdin, which comes through the attached client.
      const att = `att-${client}`;
      await ok(['run', '-d', '-i', '--name', att, ...NONE, 'busybox', 'sh', '-c', `read x; ${script}`]);
      const a = await hashRun([...argv, 'attach', att], { input: 'go\n', env });
      assert.equal(a.code, 0, a.stderr);
      const innerA = a.stderr.match(SHA)?.[1];
      assert.ok(innerA, `no hash on stderr: ${a.stderr}`);
      assert.equal(a.bytes, MB50);
      assert.equal(a.sha, innerA, 'attach received other bytes than the container wrote');
      await ok(['rm', name, att]);
    });

    it('a client killed mid-stream leaves the container running and the daemon healthy', async () => {
      const name = `stream-${client}`;
      const loop = 'i=0; while :; do i=$((i+1)); echo line-$i; usleep 2000; done';
      await ok(['run', '-d', '--name', name, ...NONE, 'busybox', 'sh', '-c', loop]);
      const argv = cliArgv(client, d);
      for (const round of [1, 2, 3]) {
        const p = new Proc([...argv, 'attach', '--sig-proxy=false', name], env);
        await p.waitOut(/line-\d+\n[\s\S]*line-\d+\n/, `attach round ${round} to stream`);
        p.child.kill('SIGKILL');
        await p.exit();
        assert.equal(await inspect(name, '{{.State.Running}}'), 'true', `the container stopped when attach client ${round} died`);
      }
      // A killed foreground `run -i` client (stdin attached, streaming) leaves its container running too.
      const fg = `fg-${client}`;
      const p = new Proc([...argv, 'run', '-i', '--name', fg, ...NONE, 'busybox', 'sh', '-c', loop], env);
      await p.waitOut(/line-\d+\n[\s\S]*line-\d+\n/, 'run to stream');
      p.child.kill('SIGKILL');
      await p.exit();
      assert.equal(await inspect(fg, '{{.State.Running}}'), 'true');
      assert.ok(pidAlive(d.pid!), 'berthd died');
      const ps = (await ok(['ps', '--format', '{{.Names}}'])).split('\n');
      assert.ok(ps.includes(fg) && ps.includes(name), `ps: ${ps.join(' ')}`);
      // Attaching again works: output flows.
      const again = new Proc([...argv, 'attach', '--sig-proxy=false', name], env);
      await again.waitOut(/line-\d+\n[\s\S]*line-\d+\n/, 'a new attach to stream');
      again.child.kill('SIGKILL');
      await again.exit();
      await ok(['rm', '-f', name, fg]);
    });

    it('-t without -i: a tty, stdout and stderr merged, no stdin needed', async () => {
      const r = await run(['run', '-t', '--rm', ...NONE, 'busybox', 'sh', '-c', 'tty; echo out; echo err >&2; exit 2']);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stdout, /^\/dev\/pts\/\d+\r\nout\r\nerr\r\n$/);
      assert.equal(r.stderr, '');
    });

    it('-a stdout / -a stderr: only the chosen stream', async () => {
      const script = 'echo out; echo err >&2';
      const o = await run(['run', '-a', 'stdout', '--rm', ...NONE, 'busybox', 'sh', '-c', script]);
      assert.equal(o.code, 0, o.stderr);
      assert.equal(o.stdout, 'out\n');
      assert.equal(o.stderr, '');
      const e = await run(['run', '-a', 'stderr', '--rm', ...NONE, 'busybox', 'sh', '-c', script]);
      assert.equal(e.code, 0, e.stderr);
      assert.equal(e.stdout, '');
      assert.equal(e.stderr, 'err\n');
    });

    it('--sig-proxy: SIGTERM and SIGINT to the CLI reach a trap in the container; --sig-proxy=false does not forward', async () => {
      const argv = cliArgv(client, d);
      for (const [sig, code] of [['SIGTERM', 7], ['SIGINT', 8]] as const) {
        const short = sig.slice(3);
        const p = new Proc([...argv, 'run', '--rm', ...NONE, 'busybox', 'sh', '-c', `trap 'echo got-${short}; exit ${code}' ${short}; echo ready; while :; do usleep 50000; done`], env);
        await p.waitOut(/ready\n/, 'the container to set its trap');
        p.child.kill(sig);
        const r = await p.exit();
        assert.equal(r.code, code, `exit ${JSON.stringify(r)}; stderr ${p.stderr}`);
        assert.match(p.stdout, new RegExp(`got-${short}\\n`));
      }
      const name = `nosig-${client}`;
      const p = new Proc([...argv, 'run', '--sig-proxy=false', '--name', name, ...NONE, 'busybox', 'sh', '-c', "trap 'echo got-TERM; exit 7' TERM; echo ready; while :; do usleep 50000; done"], env);
      await p.waitOut(/ready\n/, 'the container to set its trap');
      p.child.kill('SIGTERM');
      // berth's CLI dies of the signal; docker's keeps it for itself. Either way the container must not get it.
      await Promise.race([p.exited, sleep(1_000)]);
      p.child.kill('SIGKILL');
      await p.exit();
      assert.doesNotMatch(p.stdout, /got-TERM/);
      assert.equal(await inspect(name, '{{.State.Running}}'), 'true', 'the signal reached the container');
      await ok(['rm', '-f', name]);
    });

    it('start -a -i: stdin in, output out, the exit code', async () => {
      const name = `sai-${client}`;
      await ok(['create', '-i', '--name', name, ...NONE, 'busybox', 'sh', '-c', 'cat; echo done-$((2+3)); exit 5']);
      const r = await run(['start', '-a', '-i', name], { input: 'piped line\n' });
      assert.equal(r.code, 5, r.stderr);
      assert.equal(r.stdout, 'piped line\ndone-5\n');
      await ok(['rm', '-f', name]);
    });

    it('exec: exit codes, -e -w -u, -d, a missing command, and a container that has exited', async () => {
      const name = `exc-${client}`;
      await ok(['run', '-d', '--name', name, ...NONE, 'busybox', 'sleep', '600']);
      assert.equal((await run(['exec', name, 'sh', '-c', 'exit 42'])).code, 42);
      assert.equal((await run(['exec', name, 'true'])).code, 0);
      assert.equal((await run(['exec', name, 'false'])).code, 1);
      const opts = await run(['exec', '-e', 'FOO=bar', '-w', '/tmp', '-u', '1000:1000', name, 'sh', '-c', 'echo $FOO $(pwd) $(id -u):$(id -g)']);
      assert.equal(opts.code, 0, opts.stderr);
      assert.equal(opts.stdout, 'bar /tmp 1000:1000\n');
      assert.equal(await ok(['exec', '-d', name, 'touch', '/detached']), '');
      await until('exec -d to run', async () => (await run(['exec', name, 'test', '-f', '/detached'])).code === 0);
      const missing = await run(['exec', name, 'nosuchcmd']);
      assert.equal(missing.code, 127, missing.stderr + missing.stdout);
      assert.match(missing.stdout + missing.stderr, /executable file not found in \$PATH/);
      const notExec = await run(['exec', name, '/etc/passwd']);
      assert.equal(notExec.code, 126, notExec.stderr + notExec.stdout);

      const gone = `gone-${client}`;
      await ok(['run', '--name', gone, ...NONE, 'busybox', 'true']);
      const id = await inspect(gone, '{{.Id}}');
      const r = await run(['exec', gone, 'true']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`Error response from daemon: Container ${id} is not running`));
      const ri = await run(['exec', '-it', gone, 'sh']);
      assert.notEqual(ri.code, 0);
      await ok(['rm', '-f', name, gone]);
    });
  });
}

// --- through the API ----------------------------------------------------------------

describe('interactive containers through dockerode and raw HTTP', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon();
    await loadBusybox(d);
  });
  after(async () => {
    await d?.cleanup();
  });

  it('ExecIDs list running exec sessions; exec inspect records the exit code', async () => {
    const docker = sdk(d);
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sleep', '600'], HostConfig: { NetworkMode: 'none' } });
    await c.start();
    const exec = await c.exec({ Cmd: ['sh', '-c', 'while [ ! -f /stop ]; do usleep 20000; done; exit 9'] });
    await exec.start({ Detach: true });
    const info = await c.inspect();
    assert.deepEqual(info.ExecIDs, [exec.id]);
    assert.equal((await exec.inspect()).Running, true);
    const stopper = await c.exec({ Cmd: ['touch', '/stop'] });
    await stopper.start({ Detach: true });
    await until('the exec session to end', async () => !(await exec.inspect()).Running);
    assert.equal((await exec.inspect()).ExitCode, 9);
    assert.deepEqual((await c.inspect()).ExecIDs ?? [], []);
    await c.remove({ force: true });
  });

  it('wait condition=next-exit and removed; headers come at once', async () => {
    const docker = sdk(d);
    // next-exit on a created container: answers when it has run and exited.
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'exit 4'], HostConfig: { NetworkMode: 'none' } });
    const next = c.wait({ condition: 'next-exit' });
    await c.start();
    assert.deepEqual(await next, { StatusCode: 4, Error: null });
    // next-exit on an exited container waits for the next run.
    let settled = false;
    const again = c.wait({ condition: 'next-exit' }).then((r: unknown) => {
      settled = true;
      return r;
    });
    await sleep(300);
    assert.equal(settled, false, 'next-exit answered for the exit that was already recorded');
    await c.start();
    assert.equal(((await again) as { StatusCode: number }).StatusCode, 4);

    // removed: answers when the container is removed, not when it stops.
    const r = await docker.createContainer({ Image: 'busybox', Cmd: ['sleep', '600'], HostConfig: { NetworkMode: 'none' } });
    await r.start();
    let removedSettled = false;
    const removed = r.wait({ condition: 'removed' }).then((x: unknown) => {
      removedSettled = true;
      return x;
    });
    await r.kill();
    await until('the container to stop', async () => !(await r.inspect()).State.Running);
    await sleep(200);
    assert.equal(removedSettled, false, 'removed answered when the container stopped');
    await r.remove();
    assert.equal(((await removed) as { StatusCode: number }).StatusCode, 137);

    // Raw HTTP: the response head arrives before the container exits.
    const w = await docker.createContainer({ Image: 'busybox', Cmd: ['sleep', '600'], HostConfig: { NetworkMode: 'none' } });
    await w.start();
    const head = await new Promise<{ status: number; body: Promise<string> }>((resolve, reject) => {
      const req = http.request({ socketPath: d.socket, method: 'POST', path: `/v1.47/containers/${w.id}/wait?condition=not-running` }, (res) => {
        let s = '';
        res.on('data', (b: Buffer) => (s += b.toString()));
        resolve({ status: res.statusCode!, body: new Promise((ok) => res.on('end', () => ok(s))) });
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(head.status, 200);
    await w.kill({ signal: 'SIGKILL' });
    assert.deepEqual(JSON.parse(await head.body), { StatusCode: 137, Error: null });
    const bad = await call(d, 'POST', `/containers/${w.id}/wait?condition=bogus`);
    assert.equal(bad.status, 400);
    await w.remove();
  });

  it(
    'a client that attached without stdin leaves the stdin of a `run -i` container (StdinOnce) open when it goes',
    async () => {
      const docker = sdk(d);
      const c = await docker.createContainer({
        Image: 'busybox',
        Cmd: ['sh', '-c', 'while read l; do echo "got:$l"; done; echo stdin-closed'],
        OpenStdin: true,
        StdinOnce: true,
        AttachStdin: true,
        AttachStdout: true,
        HostConfig: { NetworkMode: 'none' },
      });
      try {
        const first = await rawAttach(d, c.id, 'stream=1&stdin=1&stdout=1');
        await c.start();
        first.socket.write('one\n');
        await until('the first line', () => first.out().includes('got:one'));
        const second = await rawAttach(d, c.id, 'stream=1&stdout=1');
        second.socket.destroy();
        // Give the daemon time to see the second client go (there is nothing to observe).
        await sleep(500);
        first.socket.write('two\n');
        await until('the second line', () => first.out().includes('got:two') || first.out().includes('stdin-closed'), 5_000);
        await sleep(300);
        assert.doesNotMatch(first.out(), /stdin-closed/, 'the container lost its stdin when a stdout-only client left');
        first.socket.destroy();
      } finally {
        await c.remove({ force: true });
      }
    },
  );

  it('attach over websocket: handshake, stdin in, stdout and stderr out (raw), logs replay, close', async () => {
    const docker = sdk(d);
    const c = await docker.createContainer({
      Image: 'busybox',
      Cmd: ['sh', '-c', 'echo started; while read l; do echo "out:$l"; echo "err:$l" >&2; done; echo stdin-closed'],
      OpenStdin: true,
      HostConfig: { NetworkMode: 'none' },
    });
    await c.start();
    await until('the first output', async () => (await c.logs({ stdout: true })).toString().includes('started'));

    // Not a websocket request, an unknown container: plain HTTP errors.
    assert.equal((await call(d, 'GET', `/containers/${c.id}/attach/ws?stream=1`)).status, 400);
    const missing = await WsClient.connect(d, '/v1.47/containers/nosuch/attach/ws?stream=1&stdout=1');
    assert.equal(missing.status, 404);
    assert.match(missing.body, /No such container: nosuch/);

    const key = 'dGhlIHNhbXBsZSBub25jZQ==';
    const ws = await WsClient.connect(d, `/v1.47/containers/${c.id}/attach/ws?logs=1&stream=1&stdin=1&stdout=1&stderr=1`, key);
    assert.equal(ws.status, 101);
    assert.equal(ws.headers['upgrade']?.toLowerCase(), 'websocket');
    assert.equal(ws.headers['sec-websocket-accept'], 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=', 'RFC 6455 example accept key');
    await until('the logs replay', () => ws.text().includes('started\n'));
    ws.send(0x1, 'hello\n');
    ws.send(0x2, 'binary\n');
    await until('output for both lines', () => ['out:hello\n', 'err:hello\n', 'out:binary\n', 'err:binary\n'].every((s) => ws.text().includes(s)), 10_000);
    assert.ok(ws.frames.filter((f) => f.opcode !== 0x8).every((f) => f.opcode === 0x2 && f.fin), 'output frames are not single binary frames');
    assert.doesNotMatch(ws.text(), /[\x00-\x02]\x00\x00\x00/, 'output is multiplexed');
    // ping → pong
    ws.send(0x9, 'pp');
    await until('a pong', () => ws.frames.some((f) => f.opcode === 0xa && f.payload.toString() === 'pp'));
    // A close frame: the server closes back; the container (stdin kept open) runs on.
    ws.send(0x8, Buffer.from([0x03, 0xe8]));
    await until('the server to close', () => ws.closed && ws.frames.some((f) => f.opcode === 0x8));
    assert.equal((await c.inspect()).State.Running, true);

    // Older API versions get text frames and all streams.
    const old = await WsClient.connect(d, `/v1.27/containers/${c.id}/attach/ws?stream=1`);
    assert.equal(old.status, 101);
    old.send(0x1, 'old\n');
    await until('output on the old version', () => old.text().includes('out:old\n') && old.text().includes('err:old\n'));
    assert.ok(old.frames.filter((f) => f.opcode !== 0x8 && f.opcode !== 0xa).every((f) => f.opcode === 0x1), 'frames before 1.28 must be text');
    old.destroy();

    // When the container exits, the server sends a close frame.
    const ender = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'read l; echo "bye:$l"'], OpenStdin: true, HostConfig: { NetworkMode: 'none' } });
    await ender.start();
    const e = await WsClient.connect(d, `/containers/${ender.id}/attach/ws?stream=1&stdin=1&stdout=1`);
    e.send(0x1, 'now\n');
    await until('the close after exit', () => e.closed && e.frames.some((f) => f.opcode === 0x8), 10_000);
    assert.equal(e.text(), 'bye:now\n');
    await c.remove({ force: true });
    await ender.remove({ force: true });
  });
});

// --- bench ------------------------------------------------------------------------

describe('bench: exec true latency (reported, not asserted)', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon();
    await loadBusybox(d);
  });
  after(async () => {
    await d?.cleanup();
  });

  it('median of 20 `exec true` runs through each CLI', async (t) => {
    const env = { DOCKER_CONFIG: join(d.base, 'docker-config') };
    const name = 'bench';
    const r = await cli('berth', d, ['run', '-d', '--name', name, ...NONE, 'busybox', 'sleep', '600'], { env });
    assert.equal(r.code, 0, r.stderr);
    const report: string[] = [];
    const hasHyperfine = spawnSync('hyperfine', ['--version']).status === 0;
    for (const which of ['berth', 'docker'] as CliName[]) {
      const argv = [...cliArgv(which, d), 'exec', name, 'true'];
      let median: number;
      if (hasHyperfine) {
        const out = join(d.base, `bench-${which}.json`);
        const h = spawnSync('hyperfine', ['-N', '--warmup', '2', '--runs', '20', '--export-json', out, argv.map(shq).join(' ')], { env: { ...process.env, ...env }, encoding: 'utf8' });
        assert.equal(h.status, 0, h.stderr);
        median = (JSON.parse(readFileSync(out, 'utf8')) as { results: { median: number }[] }).results[0]!.median * 1000;
      } else {
        const times: number[] = [];
        for (let i = 0; i < 22; i++) {
          const t0 = process.hrtime.bigint();
          const x = spawnSync(argv[0]!, argv.slice(1), { env: { ...process.env, ...env } });
          assert.equal(x.status, 0);
          if (i >= 2) times.push(Number(process.hrtime.bigint() - t0) / 1e6);
        }
        times.sort((a, b) => a - b);
        median = (times[9]! + times[10]!) / 2;
      }
      report.push(`${which} exec true: median ${median.toFixed(1)} ms`);
    }
    for (const line of report) t.diagnostic(line);
    console.log(report.join('\n'));
    await cli('berth', d, ['rm', '-f', name], { env });
  });
});

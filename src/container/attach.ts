/**
 * Attach sessions: clients that read a container's output and write its
 * stdin, through the monitor's attach socket (conmon: SOCK_SEQPACKET, each
 * packet from it starts with a pipe byte, 2 = stdout, 3 = stderr; what we
 * write is stdin; half-closing ends the container's stdin).
 *
 * A client may attach before the container starts (docker run does): its
 * session waits and is connected after the monitor created the container and
 * before the process starts, so no output is missed.
 */
import { connectPackets, type PacketConn } from '../sys/seqpacket.js';

export interface AttachOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

export interface AttachSink {
  /** Output for the client: stream 1 stdout, 2 stderr. */
  output(stream: 1 | 2, data: Buffer): void;
  /** The container's streams ended (it exited, or could not start). */
  end(): void;
}

export interface AttachHandle {
  write(data: Buffer): void;
  /** The client has no more input: the container's stdin is closed (unless it was started to keep it open). */
  closeStdin(): void;
  /** The client goes away; the container keeps running. */
  detach(): void;
}

const PIPE_STDOUT = 2;
const PIPE_STDERR = 3;
/** conmon reads each stdin packet into a 32 KiB buffer (CONN_SOCK_BUF_SIZE): the rest of a larger one is lost. */
const MAX_STDIN_PACKET = 32768;

/** One client's connection to a monitor's attach socket. */
export class AttachSession implements AttachHandle {
  private conn: PacketConn | undefined;
  private queued: Buffer[] = [];
  private stdinClosed = false;
  private ended = false;

  constructor(
    readonly opts: AttachOptions,
    private readonly sink: AttachSink,
    private readonly onDone: (s: AttachSession) => void,
  ) {}

  async connect(path: string): Promise<void> {
    if (this.ended) return;
    let conn: PacketConn;
    try {
      conn = await connectPackets(path);
    } catch {
      this.end();
      return;
    }
    if (this.ended) {
      conn.destroy();
      return;
    }
    this.conn = conn;
    conn.onPacket((pkt) => {
      if (pkt.length < 1) return;
      const data = pkt.subarray(1);
      if (pkt[0] === PIPE_STDOUT && this.opts.stdout) this.sink.output(1, data);
      else if (pkt[0] === PIPE_STDERR && this.opts.stderr) this.sink.output(2, data);
    });
    conn.onClose(() => this.end());
    for (const b of this.queued) this.send(conn, b);
    this.queued = [];
    if (this.stdinClosed) conn.end();
  }

  write(data: Buffer): void {
    if (!this.opts.stdin || this.stdinClosed || this.ended) return;
    if (this.conn) this.send(this.conn, data);
    else this.queued.push(data);
  }

  private send(conn: PacketConn, data: Buffer): void {
    for (let off = 0; off < data.length; off += MAX_STDIN_PACKET) void conn.write(data.subarray(off, off + MAX_STDIN_PACKET));
  }

  closeStdin(): void {
    if (!this.opts.stdin || this.stdinClosed) return;
    this.stdinClosed = true;
    this.conn?.end();
  }

  detach(): void {
    if (this.ended) return;
    this.ended = true;
    this.conn?.destroy();
    this.onDone(this);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.conn?.destroy();
    this.onDone(this);
    this.sink.end();
  }

  get connected(): boolean {
    return this.conn !== undefined;
  }
}

export class AttachHub {
  private readonly sessions = new Map<string, Set<AttachSession>>();

  constructor(private readonly socketPath: (id: string) => string) {}

  attach(id: string, opts: AttachOptions, sink: AttachSink, running: boolean): AttachHandle {
    const set = this.sessions.get(id) ?? new Set<AttachSession>();
    this.sessions.set(id, set);
    const s = new AttachSession(opts, sink, (x) => set.delete(x));
    set.add(s);
    if (running) void s.connect(this.socketPath(id));
    return s;
  }

  /** The monitor has created the container: connect everyone who is waiting, before it starts. */
  async containerCreated(id: string): Promise<void> {
    const waiting = [...(this.sessions.get(id) ?? [])].filter((s) => !s.connected);
    await Promise.all(waiting.map((s) => s.connect(this.socketPath(id))));
  }

  /** The start failed: waiting clients get the end of their streams. */
  containerFailed(id: string): void {
    for (const s of [...(this.sessions.get(id) ?? [])]) if (!s.connected) s.end();
  }

  closeAll(): void {
    for (const set of this.sessions.values()) for (const s of [...set]) s.detach();
  }
}

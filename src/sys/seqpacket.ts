/**
 * SOCK_SEQPACKET client sockets (conmon's attach socket), through the
 * node-unix-socket addon: Node's `net` cannot open them.
 */
import { SeqpacketSocket } from 'node-unix-socket';

export interface PacketConn {
  /** Each packet as received (message boundaries kept). */
  onPacket(cb: (packet: Buffer) => void): void;
  /** Called once when the peer closes or the connection fails. */
  onClose(cb: (err?: Error) => void): void;
  write(data: Buffer): Promise<void>;
  /** Half-close: the peer sees end of input, packets keep arriving. */
  end(): void;
  destroy(): void;
}

export function connectPackets(path: string): Promise<PacketConn> {
  return new Promise((resolve, reject) => {
    const s = new SeqpacketSocket();
    let connected = false;
    let closed = false;
    const closeCbs: ((err?: Error) => void)[] = [];
    const close = (err?: Error) => {
      if (closed) return;
      closed = true;
      for (const cb of closeCbs) cb(err);
    };
    s.on('error', (err: Error) => {
      if (!connected) reject(err);
      close(err);
    });
    s.on('end', () => close());
    s.on('close', () => close());
    try {
      s.connect(path, () => {
        connected = true;
        resolve({
          onPacket: (cb) => s.on('data', cb),
          onClose: (cb) => {
            if (closed) cb();
            else closeCbs.push(cb);
          },
          write: (data) =>
            new Promise<void>((res) => {
              if (closed) return res();
              s.write(data, 0, data.length, () => res());
            }),
          end: () => {
            if (!closed) s.end();
          },
          destroy: () => {
            s.destroy();
            close();
          },
        });
      });
    } catch (e) {
      reject(e as Error);
    }
  });
}

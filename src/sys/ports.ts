/** Host facts the network needs: whether a host port is free (a bind probe), and the host's resolvers. */
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Whether nothing on the host holds proto/hostIp:port: binds it exclusively for an instant. */
export function portFree(proto: 'tcp' | 'udp', hostIp: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (proto === 'udp') {
      const s = createSocket('udp4');
      s.once('error', () => resolve(false));
      s.bind({ port, address: hostIp || '0.0.0.0', exclusive: true }, () => s.close(() => resolve(true)));
      return;
    }
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: hostIp || '0.0.0.0', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** The host's /etc/resolv.conf, '' when it cannot be read. */
export function resolvConfText(): string {
  try {
    return readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return '';
  }
}

/**
 * Where a container's files live. Persistent ones under `<root>/containers/<id>/`
 * (record, /etc files, log); runtime ones under `<execRoot>` (bundle, rootfs
 * mount point, monitor pid files, exit files, attach sockets), which do not
 * survive a reboot and need not.
 */
import { join } from 'node:path';

export class ContainerPaths {
  constructor(
    readonly root: string,
    readonly execRoot: string,
  ) {}

  dir(id: string): string {
    return join(this.root, 'containers', id);
  }
  log(id: string): string {
    return join(this.dir(id), 'container.log');
  }
  hostname(id: string): string {
    return join(this.dir(id), 'hostname');
  }
  hosts(id: string): string {
    return join(this.dir(id), 'hosts');
  }
  resolvConf(id: string): string {
    return join(this.dir(id), 'resolv.conf');
  }

  /** Where the bundles (and rootfs mount points) of all containers are. */
  get containersRunDir(): string {
    return join(this.execRoot, 'containers');
  }
  bundle(id: string): string {
    return join(this.containersRunDir, id);
  }
  rootfs(id: string): string {
    return join(this.bundle(id), 'rootfs');
  }
  get exitDir(): string {
    return join(this.execRoot, 'exits');
  }
  get socketDir(): string {
    return join(this.execRoot, 's');
  }
  get runtimeRoot(): string {
    return join(this.execRoot, 'runc');
  }
  /** Short name of the attach socket directory (unix socket paths are short). */
  cuuid(id: string): string {
    return id.slice(0, 12);
  }
}

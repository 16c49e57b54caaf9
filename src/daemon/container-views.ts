/** Container views that are not the record itself: the empty network shapes Docker shows, and mounts. */
import type { EndpointSettings, MountPoint, NetworkSettings } from '../api/types/containers.js';
import type { ContainerRecord } from '../container/types.js';
import type { VolumeService } from '../volume/service.js';

export function emptyEndpoint(): EndpointSettings {
  return {
    IPAMConfig: null,
    Links: null,
    Aliases: null,
    MacAddress: '',
    NetworkID: '',
    EndpointID: '',
    Gateway: '',
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DriverOpts: null,
    DNSNames: null,
  };
}

export function baseNetworkSettings(rec: ContainerRecord, networks: Record<string, EndpointSettings>): NetworkSettings {
  return {
    Bridge: '',
    SandboxID: '',
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    Ports: {},
    SandboxKey: rec.state.pid ? `/proc/${rec.state.pid}/ns/net` : '',
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: '',
    Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    MacAddress: '',
    Networks: networks,
  };
}

/** A container's mounts as inspect shows them (volumes with their mountpoint on the host). */
export function mountPointsView(rec: ContainerRecord, volumes: VolumeService): MountPoint[] {
  const mountpointOf = (name: string): string => {
    try {
      return volumes.get(name).mountpoint;
    } catch {
      return '';
    }
  };
  return rec.mountPoints.map((m) =>
    m.type === 'volume'
      ? { Type: 'volume', Name: m.source, Source: mountpointOf(m.source), Destination: m.destination, Driver: 'local', Mode: m.mode, RW: m.rw, Propagation: m.propagation }
      : { Type: m.type, Source: m.source, Destination: m.destination, Mode: m.mode, RW: m.rw, Propagation: m.propagation },
  );
}

/**
 * What inspect and ps show of a container's networking and mounts. This is
 * the view for containers without a network of their own (none, host, or a
 * network mode whose subsystem adds nothing yet).
 */
import type { EndpointSettings, NetworkSettings } from '../api/types/containers.js';
import type { ContainerRecord } from '../container/types.js';
import type { ContainerViews } from './container-backend.js';

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

export const plainViews: ContainerViews = {
  networkSettings: (rec) => baseNetworkSettings(rec, rec.spec.networkMode.startsWith('container:') ? {} : { [rec.spec.networkMode]: emptyEndpoint() }),
  ports: () => [],
  mounts: () => [],
  execIds: () => [],
};

/** Network records and container endpoints, as the network service keeps them. */

export interface NetworkRecord {
  id: string;
  name: string;
  driver: 'bridge' | 'host' | 'null';
  /** The bridge device (bridge driver only). */
  bridge: string;
  subnet: string;
  gateway: string;
  ipRange: string;
  internal: boolean;
  attachable: boolean;
  labels: Record<string, string>;
  options: Record<string, string>;
  /** IPAM.Config[].AuxiliaryAddresses of the IPv4 pool: reserved, never handed out. */
  auxAddresses?: Record<string, string>;
  /** EnableIPv6 with its one IPv6 pool (the bridge driver takes one per family). */
  ipv6?: Ipv6Pool;
  created: string;
  /** bridge, host and none: made by the daemon, never removed by users. */
  builtin: boolean;
}

/** The IPv6 side of a dual-stack network: on-link only (no IPv6 routing, NAT or published ports). */
export interface Ipv6Pool {
  subnet: string;
  gateway: string;
  ipRange: string;
  auxAddresses: Record<string, string>;
}

export interface PublishedPort {
  proto: 'tcp' | 'udp';
  containerPort: number;
  hostIp: string;
  hostPort: number;
}

/** A container's connection to one network while it runs. */
export interface Endpoint {
  containerId: string;
  networkId: string;
  id: string;
  /** Interface name inside the container (eth0, eth1…). */
  ifname: string;
  /** Host side of the veth pair. */
  veth: string;
  ip: string;
  prefixLen: number;
  gateway: string;
  /** On a dual-stack network: the container's IPv6 address, its prefix and the gateway's. */
  ipv6?: { ip: string; prefixLen: number; gateway: string };
  mac: string;
  aliases: string[];
  publishes: PublishedPort[];
  /** The container's own --dns servers: the network's DNS server forwards its queries there. */
  dns?: string[];
}

/** What a container asked for on a network (from create or `network connect`). */
export interface EndpointRequest {
  networkId: string;
  aliases: string[];
  ipv4Address: string;
  ipv6Address?: string;
  /** Extra link-local addresses on the container's interface (IPAMConfig.LinkLocalIPs). */
  linkLocalIps?: string[];
  /**
   * `container:alias` links of this endpoint: on user networks the alias
   * resolves, for this container only, to the container's address there.
   */
  links: string[];
  macAddress?: string;
  /** The endpoint's driver options, kept and shown as given. */
  driverOpts?: Record<string, string>;
}

export type { NetworkEndpointSpec as EndpointSpec } from '../container/types.js';

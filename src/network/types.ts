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
  created: string;
  /** bridge, host and none: made by the daemon, never removed by users. */
  builtin: boolean;
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
  links: string[];
}

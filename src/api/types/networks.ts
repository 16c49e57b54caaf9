/** Wire types of the network endpoints (Docker's JSON field names). */
import type { EndpointSettings } from './containers.js';

/** One address pool of a network: `{"Subnet":"172.18.0.0/16","Gateway":"172.18.0.1"}`. */
export interface IPAMConfig {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

export interface IPAM {
  /** "default" */
  Driver: string;
  Options: Record<string, string> | null;
  Config: IPAMConfig[] | null;
}

/** A container attached to a network, as `network inspect` lists it. */
export interface NetworkContainer {
  Name: string;
  EndpointID: string;
  MacAddress: string;
  /** With the prefix length: "172.18.0.2/16". */
  IPv4Address: string;
  /** "" when the endpoint has no IPv6 address. */
  IPv6Address: string;
}

export interface ConfigReference {
  Network: string;
}

/**
 * A network as GET /networks/{id} returns it (and, with an empty
 * Containers map, as each item of GET /networks). Field order is Docker's.
 */
export interface Network {
  Name: string;
  Id: string;
  /** RFC 3339 with nanoseconds: "2024-05-01T10:00:00.123456789Z". */
  Created: string;
  /** "local" */
  Scope: string;
  /** "bridge", "host", "null" */
  Driver: string;
  /** API 1.48 and later; older clients ignore it. */
  EnableIPv4?: boolean;
  EnableIPv6: boolean;
  IPAM: IPAM;
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: ConfigReference;
  ConfigOnly: boolean;
  /** Container ID → its endpoint on this network. */
  Containers: Record<string, NetworkContainer>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

/** The body of POST /networks/create (the docker CLI also sends Scope, Ingress, ConfigOnly, ConfigFrom). */
export interface NetworkCreateRequest {
  Name: string;
  /** Ignored since API 1.44: names are always checked. */
  CheckDuplicate?: boolean;
  /** "" or absent means "bridge". */
  Driver?: string;
  Scope?: string;
  Internal?: boolean;
  Attachable?: boolean;
  Ingress?: boolean;
  ConfigOnly?: boolean;
  ConfigFrom?: ConfigReference | null;
  IPAM?: Partial<IPAM> | null;
  EnableIPv4?: boolean;
  EnableIPv6?: boolean;
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

export interface NetworkCreateResponse {
  Id: string;
  /** "" when there is nothing to warn about. */
  Warning: string;
}

/** Endpoint settings as `network connect` sends them (GwPriority is API 1.48). */
export type NetworkEndpointConfig = EndpointSettings & { GwPriority?: number };

/** The body of POST /networks/{id}/connect. */
export interface NetworkConnectRequest {
  /** Container ID or name. */
  Container: string;
  EndpointConfig?: NetworkEndpointConfig | null;
}

/** The body of POST /networks/{id}/disconnect. */
export interface NetworkDisconnectRequest {
  Container: string;
  Force?: boolean;
}

export interface NetworkPruneResponse {
  /** Names of the removed networks; null when none were. */
  NetworksDeleted: string[] | null;
}

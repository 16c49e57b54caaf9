/**
 * JSON schemas of the container endpoints' bodies (create, update, commit's
 * config). The routes validate with them, so a backend receives a request of
 * the declared type. Each field berth reads is typed, integers with Go's
 * ranges (dockerd's decoder refuses what does not fit its struct); unknown
 * fields pass, as in Go.
 */
import type { ContainerConfig, ContainerCreateRequest, Resources, RestartPolicy } from '../types/containers.js';
import { bodySchema, INT64, nullable, UINT16, UINT32 } from '../validate.js';

const str = { type: 'string' };
const bool = { type: 'boolean' };
const strArr = { type: ['array', 'null'], items: str };
const strOrArr = { anyOf: [str, strArr] };
const strMap = { type: ['object', 'null'], additionalProperties: str };
/** Docker's map[string]struct{} (ExposedPorts, Volumes): values are objects (or null). */
const setMap = { type: ['object', 'null'], additionalProperties: { type: ['object', 'null'] } };
const obj = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ type: ['object', 'null'], properties, ...extra });
const int64OrNull = nullable(INT64);

const ENDPOINT_SETTINGS = obj({
  IPAMConfig: obj({ IPv4Address: str, IPv6Address: str, LinkLocalIPs: strArr }),
  Links: strArr,
  Aliases: strArr,
  DNSNames: strArr,
  MacAddress: str,
  DriverOpts: strMap,
  GwPriority: INT64,
  NetworkID: str,
  EndpointID: str,
  Gateway: str,
  IPAddress: str,
});

/** The fields of a container Config (create bodies, and commit's config). */
const CONFIG_PROPERTIES = {
  Hostname: str,
  Domainname: str,
  User: str,
  AttachStdin: bool,
  AttachStdout: bool,
  AttachStderr: bool,
  Tty: bool,
  OpenStdin: bool,
  StdinOnce: bool,
  Env: strArr,
  Cmd: strOrArr,
  Entrypoint: strOrArr,
  Shell: strOrArr,
  OnBuild: strArr,
  Image: str,
  WorkingDir: str,
  MacAddress: str,
  NetworkDisabled: bool,
  Labels: strMap,
  StopSignal: { type: ['string', 'null'] },
  StopTimeout: int64OrNull,
  ExposedPorts: setMap,
  Volumes: setMap,
  Healthcheck: obj({ Test: strArr, Interval: INT64, Timeout: INT64, StartPeriod: INT64, StartInterval: INT64, Retries: INT64 }),
};

/** Commit's optional config: checked for types (Docker decodes it into a Config). */
export const COMMIT_CONFIG_SCHEMA = bodySchema<ContainerConfig>({ type: 'object', properties: CONFIG_PROPERTIES });

/** The resource fields create and update share (Docker's Resources). */
const CPU_AND_PIDS = {
  NanoCpus: INT64,
  CpuShares: INT64,
  CpuQuota: INT64,
  CpuPeriod: INT64,
  CpusetCpus: str,
  CpusetMems: str,
  PidsLimit: int64OrNull,
  BlkioWeight: UINT16,
};

/** The body of `POST /containers/create`. */
export const CREATE_SCHEMA = bodySchema<ContainerCreateRequest>({
  type: 'object',
  properties: {
    ...CONFIG_PROPERTIES,
    NetworkingConfig: obj({ EndpointsConfig: { type: ['object', 'null'], additionalProperties: ENDPOINT_SETTINGS } }),
    HostConfig: obj({
      Binds: strArr,
      NetworkMode: str,
      PortBindings: { type: ['object', 'null'], additionalProperties: { type: ['array', 'null'], items: obj({ HostIp: str, HostPort: str }) } },
      RestartPolicy: obj({ Name: str, MaximumRetryCount: INT64 }),
      AutoRemove: bool,
      VolumesFrom: strArr,
      PublishAllPorts: bool,
      Annotations: strMap,
      LogConfig: obj({ Type: str, Config: strMap }),
      Memory: INT64,
      MemorySwap: INT64,
      MemoryReservation: INT64,
      MemorySwappiness: int64OrNull,
      OomKillDisable: { type: ['boolean', 'null'] },
      ...CPU_AND_PIDS,
      CapAdd: strArr,
      CapDrop: strArr,
      Privileged: bool,
      ReadonlyRootfs: bool,
      SecurityOpt: strArr,
      Init: { type: ['boolean', 'null'] },
      PidMode: str,
      IpcMode: str,
      UTSMode: str,
      CgroupnsMode: str,
      Runtime: str,
      Isolation: str,
      VolumeDriver: str,
      DeviceCgroupRules: strArr,
      MaskedPaths: strArr,
      ReadonlyPaths: strArr,
      CgroupParent: str,
      UsernsMode: str,
      GroupAdd: strArr,
      Tmpfs: strMap,
      Dns: strArr,
      DnsSearch: strArr,
      DnsOptions: strArr,
      ExtraHosts: strArr,
      Links: strArr,
      Devices: { type: ['array', 'null'], items: obj({ PathOnHost: str, PathInContainer: str, CgroupPermissions: str }) },
      Mounts: {
        type: ['array', 'null'],
        items: {
          type: 'object',
          required: ['Target'],
          properties: {
            Target: str,
            Source: str,
            Type: str,
            ReadOnly: bool,
            BindOptions: obj({ Propagation: str }),
            VolumeOptions: obj({ NoCopy: bool, Labels: strMap, DriverConfig: obj({ Name: str, Options: strMap }) }),
            TmpfsOptions: obj({ SizeBytes: INT64, Mode: UINT32 }),
          },
        },
      },
      Ulimits: { type: ['array', 'null'], items: obj({ Name: str, Soft: INT64, Hard: INT64 }) },
      ShmSize: INT64,
      Sysctls: strMap,
      OomScoreAdj: INT64,
      ConsoleSize: { type: ['array', 'null'], maxItems: 2, items: UINT16 },
    }),
  },
});

/** The body of `POST /containers/{id}/update`. */
export const UPDATE_SCHEMA = bodySchema<Resources & { RestartPolicy?: RestartPolicy }>({
  type: 'object',
  properties: {
    Memory: INT64,
    MemorySwap: INT64,
    MemoryReservation: INT64,
    ...CPU_AND_PIDS,
    RestartPolicy: { type: 'object', properties: { Name: str, MaximumRetryCount: INT64 } },
  },
});

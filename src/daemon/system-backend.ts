/** Implements the system routes' Backend: version and info. */
import type { SystemBackend } from '../api/routes/system.js';
import type { DiskUsage, InfoResponse, VersionResponse } from '../api/types/system.js';
import { API_VERSION, MIN_API_VERSION } from '../api/version.js';
import type { HostFacts } from '../sys/facts.js';
import type { RegistryInfo } from '../image/registry/service.js';
import { BERTH_VERSION } from './build-info.js';
import { DEFAULT_LOG_DRIVER, LOG_DRIVERS } from '../logs/options.js';

export interface SystemState {
  id: string;
  root: string;
  debug: boolean;
  host: HostFacts;
  runcVersion: string;
  conmonVersion: string;
  /** Registry settings as `info` shows them (mirrors, insecure registries). */
  registry?: RegistryInfo;
  counts(): { containers: number; running: number; paused: number; stopped: number; images: number };
  diskUsage(): Promise<DiskUsage>;
}

export class DaemonSystemBackend implements SystemBackend {
  constructor(private readonly s: SystemState) {}

  version(): VersionResponse {
    const h = this.s.host;
    const arch = goArch(h.architecture);
    return {
      Platform: { Name: 'berth' },
      Components: [
        { Name: 'Engine', Version: BERTH_VERSION, Details: { ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, Os: 'linux', Arch: arch, KernelVersion: h.kernelVersion, GoVersion: process.version } },
        { Name: 'runc', Version: this.s.runcVersion.replace(/^runc version /, '') },
        { Name: 'conmon', Version: this.s.conmonVersion.replace(/^conmon version /, '') },
      ],
      Version: BERTH_VERSION,
      ApiVersion: API_VERSION,
      MinAPIVersion: MIN_API_VERSION,
      GitCommit: '',
      GoVersion: `node ${process.version}`,
      Os: 'linux',
      Arch: arch,
      KernelVersion: h.kernelVersion,
      BuildTime: '',
    };
  }

  df(): Promise<DiskUsage> {
    return this.s.diskUsage();
  }

  async info(): Promise<InfoResponse> {
    const h = this.s.host;
    const c = this.s.counts();
    return {
      ID: this.s.id,
      Containers: c.containers,
      ContainersRunning: c.running,
      ContainersPaused: c.paused,
      ContainersStopped: c.stopped,
      Images: c.images,
      Driver: 'overlay2',
      DriverStatus: [
        ['Backing Filesystem', 'extfs'],
        ['Supports d_type', 'true'],
        ['Using metacopy', 'false'],
        ['Native Overlay Diff', 'true'],
      ],
      Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'null'], Authorization: null, Log: [...LOG_DRIVERS] },
      MemoryLimit: true,
      SwapLimit: true,
      CpuCfsPeriod: true,
      CpuCfsQuota: true,
      CPUShares: true,
      CPUSet: true,
      PidsLimit: true,
      IPv4Forwarding: true,
      BridgeNfIptables: false,
      BridgeNfIp6tables: false,
      Debug: this.s.debug,
      NFd: 0,
      OomKillDisable: false,
      NGoroutines: 0,
      SystemTime: new Date().toISOString(),
      LoggingDriver: DEFAULT_LOG_DRIVER,
      CgroupDriver: 'cgroupfs',
      CgroupVersion: h.cgroupVersion,
      NEventsListener: 0,
      KernelVersion: h.kernelVersion,
      OperatingSystem: h.operatingSystem,
      OSVersion: h.osVersion,
      OSType: 'linux',
      Architecture: h.architecture,
      IndexServerAddress: 'https://index.docker.io/v1/',
      RegistryConfig: registryConfig(this.s.registry),
      NCPU: h.ncpu,
      MemTotal: h.memTotal,
      GenericResources: null,
      DockerRootDir: this.s.root,
      HttpProxy: process.env['HTTP_PROXY'] ?? '',
      HttpsProxy: process.env['HTTPS_PROXY'] ?? '',
      NoProxy: process.env['NO_PROXY'] ?? '',
      Name: h.hostname,
      Labels: [],
      ExperimentalBuild: false,
      ServerVersion: BERTH_VERSION,
      Runtimes: { runc: { path: 'runc' } },
      DefaultRuntime: 'runc',
      Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
      LiveRestoreEnabled: true,
      Isolation: '',
      InitBinary: '',
      ContainerdCommit: { ID: '' },
      RuncCommit: { ID: this.s.runcVersion.replace(/^runc version /, '') },
      InitCommit: { ID: '' },
      SecurityOptions: ['name=seccomp,profile=builtin'],
      Warnings: null,
    };
  }
}

function goArch(machine: string): string {
  return machine === 'x86_64' ? 'amd64' : machine === 'aarch64' ? 'arm64' : machine;
}

/** `info`'s RegistryConfig from the daemon's registry settings. */
function registryConfig(r: RegistryInfo | undefined): InfoResponse['RegistryConfig'] {
  const info = r ?? { insecureCidrs: ['127.0.0.0/8'], indexConfigs: [{ name: 'docker.io', mirrors: [], secure: true, official: true }], mirrors: [] };
  return {
    AllowNondistributableArtifactsCIDRs: null,
    AllowNondistributableArtifactsHostnames: null,
    InsecureRegistryCIDRs: info.insecureCidrs,
    IndexConfigs: Object.fromEntries(info.indexConfigs.map((c) => [c.name, { Name: c.name, Mirrors: c.mirrors, Secure: c.secure, Official: c.official }])),
    Mirrors: info.mirrors,
  };
}

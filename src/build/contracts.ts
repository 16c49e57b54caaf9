/**
 * What the builder needs from the rest of the engine, as role-named
 * contracts the daemon implements over its subsystems: step containers run
 * through berth's own container path (ContainerService: snapshot, spec,
 * monitor, runtime, network), and images from the image store.
 */
import type { Readable } from 'node:stream';
import type { LayerRecord } from '../image/image-store.js';
import type { ImageConfigFile } from '../image/oci.js';

/** How one step's container is made: the image's defaults are already merged in. */
export interface StepSpec {
  /** The parent image's ID; undefined for `FROM scratch` with nothing built yet. */
  image: string | undefined;
  /** argv: the shell plus the command (shell form), or the JSON form's words. */
  cmd: string[];
  env: string[];
  user: string;
  workingDir: string;
  /** The build's network settings (networkmode, extrahosts). */
  networkMode: string;
  extraHosts: string[];
  shmSize?: number;
  resources: StepResources;
}

/** The build's resource limits, applied to every RUN container (0/"" = none). */
export interface StepResources {
  memory: number;
  memorySwap: number;
  cpuShares: number;
  cpuPeriod: number;
  cpuQuota: number;
  cpusetCpus: string;
  cpusetMems: string;
  ulimits: { name: string; soft: number; hard: number }[];
}

/**
 * Step containers. Lifecycle: create → (run | putFiles | mkdir)* → commitLayer
 * → remove. A container that is not removed stays visible as Docker's
 * intermediate containers do (rm=false); remove() is safe to call on one
 * that failed or was never started, and leaves no mount, veth or rule.
 *
 * Errors: EngineErrors from the container path (NotFound for an unknown
 * image, InvalidParameter for a bad spec); run() resolves with the exit code
 * of the command (a command that could not be started gives Docker's 126/127).
 */
export interface BuildContainers {
  create(spec: StepSpec): Promise<string>;
  /** Starts the container, streams its output, resolves with its exit code; the signal kills it. */
  run(id: string, output: (stream: 1 | 2, data: Buffer) => void, signal: AbortSignal): Promise<number>;
  /** Extracts a tar into the container's directory dir (created, as `mkdir -p`, when missing). */
  putFiles(id: string, dir: string, tar: Readable): Promise<void>;
  /** `--chown` text (`user[:group]`, names or numbers) resolved against the container's /etc/passwd and /etc/group. */
  owner(id: string, chown: string): Promise<{ uid: number; gid: number }>;
  /** `mkdir -p` inside the container (WORKDIR). */
  mkdir(id: string, path: string): Promise<void>;
  /** Whether path is a directory in the container (symlinks followed inside it). */
  isDir(id: string, path: string): Promise<boolean>;
  /** The names in a directory of the container, sorted ([] when it is not one): COPY --from wildcards. */
  list(id: string, dir: string): Promise<string[]>;
  /** A tar of path in the container, its top entry named `as` (COPY --from). NotFound when missing. */
  archive(id: string, path: string, as: string): Promise<Readable>;
  /** The container's own layer, ingested on top of its image; undefined when it changed nothing. */
  commitLayer(id: string): Promise<LayerRecord | undefined>;
  remove(id: string): Promise<void>;
}

/** A local image as the builder sees it. */
export interface BuildImage {
  id: string;
  config: ImageConfigFile;
  layers: LayerRecord[];
  parent?: string;
}

/** Images: lookups, pulls, records. Errors are EngineErrors (NotFound with Docker's message). */
export interface BuildImages {
  /** A local image by name or ID. */
  find(ref: string): BuildImage | undefined;
  get(id: string): BuildImage | undefined;
  /** Images whose parent is id ("" for images without a parent): the classic builder's cache candidates. */
  children(id: string): BuildImage[];
  /** Pulls ref (with the registry credentials of X-Registry-Config), writing pull progress to out. */
  pull(ref: string, out: (msg: object) => void, signal: AbortSignal): Promise<BuildImage>;
  create(config: ImageConfigFile, layers: LayerRecord[], parent: string | undefined): Promise<string>;
  tag(id: string, ref: string): Promise<void>;
}

/** A build's options (POST /build's query, already checked) and where its output goes. */
import type { StepResources } from './contracts.js';

export interface BuildOptions {
  /** The Dockerfile's path inside the context. */
  dockerfile: string;
  /** Full references to tag the result with (`name:tag`). */
  tags: string[];
  /** --build-arg values; null is an argument named without a value (taken as unset). */
  buildArgs: Record<string, string | null>;
  labels: Record<string, string>;
  target?: string;
  noCache: boolean;
  pull: boolean;
  /** Remove intermediate containers after a successful step. */
  rm: boolean;
  /** Remove them always, also after a failed step. */
  forceRm: boolean;
  quiet: boolean;
  networkMode: string;
  extraHosts: string[];
  shmSize?: number;
  resources: StepResources;
  /** Images whose chains replace the local cache (Docker's --cache-from). */
  cacheFrom: string[];
  /** `os/arch[/variant]` asked for: only the host's is built. */
  platform?: string;
}

/** The build's JSON-lines stream as dockerd writes it. */
export interface BuildOutput {
  /** `{"stream": text}` */
  stream(text: string): void;
  /** `{"aux": obj}` */
  aux(obj: object): void;
  /** Pull progress and other jsonmessages, passed through. */
  message(obj: object): void;
}

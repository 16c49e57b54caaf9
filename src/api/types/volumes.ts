/** Wire types of the volume endpoints (Docker's JSON field names, in Docker's field order). */

export interface VolumeUsageData {
  /** Bytes, or -1 when not available. */
  Size: number;
  /** Containers referencing the volume, or -1 when not available. */
  RefCount: number;
}

export interface Volume {
  /** RFC 3339 (`2024-01-02T15:04:05Z`). */
  CreatedAt?: string;
  Driver: string;
  Labels: Record<string, string> | null;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string> | null;
  Scope: 'local' | 'global';
  Status?: Record<string, unknown>;
  /** Only in `GET /system/df`. */
  UsageData?: VolumeUsageData | null;
  /** Swarm cluster volumes only; berth has none. */
  ClusterVolume?: unknown;
}

export interface VolumeListResponse {
  Volumes: Volume[];
  Warnings: string[];
}

export interface VolumeCreateRequest {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
  ClusterVolumeSpec?: unknown;
}

export interface VolumePruneResponse {
  VolumesDeleted: string[];
  SpaceReclaimed: number;
}

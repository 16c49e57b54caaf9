/** Wire types of the registry endpoints (Docker's JSON field names). */

/** `POST /auth` reply. */
export interface AuthResponse {
  Status: string;
  IdentityToken: string;
}

/** `GET /distribution/{name}/json` reply. */
export interface DistributionInspect {
  Descriptor: { mediaType: string; digest: string; size: number };
  Platforms: { architecture: string; os: string; variant?: string; 'os.version'?: string }[];
}

/** The `aux` of push's last message. */
export interface PushResult {
  Tag: string;
  Digest: string;
  Size: number;
}

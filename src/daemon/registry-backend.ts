/**
 * Implements pull (for the image routes), push, login and distribution
 * inspect over the image subsystem's puller/pusher and registry client:
 * parses the API's parameters, decodes X-Registry-Auth, turns progress
 * events into docker's JSON messages and publishes pull/push events.
 */
import type { JsonStream } from '../api/context.js';
import type { PullParams } from '../api/routes/images.js';
import type { PushParams, RegistryBackend } from '../api/routes/registry.js';
import { progressMessage } from '../api/types/progress.js';
import type { AuthResponse, DistributionInspect } from '../api/types/registry.js';
import { invalidParameter, unauthorized } from '../errdefs/errdefs.js';
import type { EventBus } from '../events/bus.js';
import type { ImageService } from '../image/image-service.js';
import { ImagePuller, translatePullError } from '../image/pull.js';
import { ImagePusher } from '../image/push.js';
import { parseNormalizedNamed, parseRepositoryTag } from '../image/reference.js';
import { credentialsFrom, decodeAuthHeader, normalizeAuthConfig } from '../image/registry/auth.js';
import { RegistryError, RemoteRepository } from '../image/registry/client.js';
import { parseManifest, parsePlatform, verifyDigest } from '../image/registry/manifest.js';
import type { ProgressEvent } from '../image/registry/progress.js';
import { normalizeRegistryAddress, type RegistryService } from '../image/registry/service.js';
import { sha256Digest } from '../image/content-store.js';
import type { Logger } from '../util/log.js';

/** A progress event as docker's JSON message. */
export function progressToMessage(e: ProgressEvent): Record<string, unknown> {
  if (e.aux !== undefined) return { progressDetail: {}, aux: e.aux };
  if (e.current !== undefined && e.id !== undefined) return { ...progressMessage(e.id, e.status ?? '', e.current, e.total ?? 0) };
  if (e.layer) return { status: e.status ?? '', progressDetail: {}, id: e.id };
  return e.id !== undefined ? { status: e.status ?? '', id: e.id } : { status: e.status ?? '' };
}

export class DaemonRegistryBackend implements RegistryBackend {
  private readonly puller: ImagePuller;
  private readonly pusher: ImagePusher;

  constructor(
    svc: ImageService,
    private readonly registries: RegistryService,
    private readonly events: EventBus,
    private readonly log: Logger,
  ) {
    this.puller = new ImagePuller(svc, registries, { log });
    this.pusher = new ImagePusher(svc, registries, { log });
  }

  async pull(p: PullParams, out: JsonStream): Promise<void> {
    const ref = parseRepositoryTag(p.fromImage, p.tag, { pull: true });
    const platform = p.platform ? parsePlatform(p.platform) : undefined;
    const auth = decodeAuthHeader(p.auth);
    const span = this.log.span('pull');
    const pulled = await this.puller.pull({
      ref,
      ...(platform ? { platform } : {}),
      ...(auth ? { auth } : {}),
      ...(p.signal ? { signal: p.signal } : {}),
      progress: (e) => out.write(progressToMessage(e)),
    });
    span({ ref: ref.string() });
    for (const r of pulled) {
      const name = r.ref.familiarString();
      this.events.publish({ type: 'image', action: 'pull', actor: { id: name, attributes: { name } } });
    }
  }

  async push(p: PushParams, out: JsonStream): Promise<void> {
    const named = parseNormalizedNamed(p.name);
    if (named.digest) throw invalidParameter('cannot push a digest reference');
    const ref = p.tag ? named.withTag(p.tag) : named;
    const auth = decodeAuthHeader(p.auth);
    const span = this.log.span('push');
    const pushed = await this.pusher.push({ ref, ...(auth ? { auth } : {}), signal: p.signal, progress: (e) => out.write(progressToMessage(e)) });
    span({ ref: ref.string() });
    for (const t of pushed) {
      const name = t.ref.familiarString();
      this.events.publish({ type: 'image', action: 'push', actor: { id: name, attributes: { name } } });
    }
  }

  async auth(body: Record<string, unknown>): Promise<AuthResponse> {
    const a = normalizeAuthConfig(body);
    const domain = normalizeRegistryAddress(a.serveraddress);
    const creds = credentialsFrom(a);
    try {
      const r = await this.registries.withEndpoints(domain, creds, { push: true }, (session) => session.login());
      return { Status: 'Login Succeeded', IdentityToken: r.identityToken ?? '' };
    } catch (e) {
      if (e instanceof RegistryError && (e.status === 401 || e.status === 403)) throw unauthorized(e.message);
      throw e;
    }
  }

  async distributionInspect(name: string, authHeader: string | undefined, signal: AbortSignal): Promise<DistributionInspect> {
    const ref = parseNormalizedNamed(name).withDefaultTag();
    const creds = credentialsFrom(decodeAuthHeader(authHeader));
    return this.registries.withEndpoints(ref.domain, creds, { push: false, signal }, async (session) => {
      const repo = new RemoteRepository(session, ref.path);
      let m;
      try {
        m = await repo.getManifest(ref.digest ?? ref.tag!, signal);
      } catch (e) {
        throw translatePullError(e, ref);
      }
      const digest = ref.digest ?? sha256Digest(m.bytes);
      if (ref.digest) verifyDigest(m.bytes, ref.digest);
      const parsed = parseManifest(m.bytes, m.mediaType);
      const Descriptor = { mediaType: parsed.mediaType, digest, size: m.bytes.length };
      if (parsed.kind === 'index') {
        return { Descriptor, Platforms: parsed.index.manifests.filter((d) => d.platform).map((d) => ({ ...d.platform! })) };
      }
      const cfg = JSON.parse((await repo.readBlob(parsed.manifest.config.digest, 64 << 20, signal)).toString('utf8')) as { os?: string; architecture?: string; variant?: string };
      return { Descriptor, Platforms: [{ architecture: cfg.architecture ?? '', os: cfg.os ?? '', ...(cfg.variant ? { variant: cfg.variant } : {}) }] };
    });
  }
}

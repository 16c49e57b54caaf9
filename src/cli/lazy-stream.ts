/**
 * node:stream/promises' pipeline, loaded on its first call: under Bun the
 * module costs ~10 ms of CPU to load, which every command of a chunk that
 * imports it would pay at start (`ps` as well as `logs`).
 */
import type { pipeline as Pipeline } from 'node:stream/promises';

type AnyPipeline = (...streams: unknown[]) => Promise<void>;

export const pipeline = (async (...streams: unknown[]) => {
  const m = await import('node:stream/promises');
  return (m.pipeline as AnyPipeline)(...streams);
}) as typeof Pipeline;

/**
 * HostConfig fields berth honours beyond the basics, checked at create with
 * Docker's messages: Isolation, Runtime, VolumeDriver, DeviceCgroupRules,
 * MaskedPaths/ReadonlyPaths, CgroupParent, UsernsMode.
 */
import { posix } from 'node:path';
import { invalidParameter, notFound } from '../errdefs/errdefs.js';
import type { HostConfig } from '../api/types/containers.js';
import type { ContainerSpec } from '../container/types.js';
import { parseDeviceCgroupRule } from '../container/device-rules.js';

/** The spec fields of those HostConfig fields (only those set), refused with Docker's messages when invalid. */
export function hostConfigExtras(h: HostConfig, makesVolumes: boolean): Partial<ContainerSpec> {
  const isolation = h.Isolation ?? '';
  if (isolation !== '' && isolation !== 'default') throw invalidParameter(`invalid isolation: "${isolation}" on linux`);
  const runtime = h.Runtime || 'runc';
  if (runtime !== 'runc') throw invalidParameter(`Unknown runtime specified ${runtime}`);
  const volumeDriver = h.VolumeDriver ?? '';
  // Docker looks the driver up only when a volume is made; berth has only the local driver.
  if (volumeDriver && volumeDriver !== 'local' && makesVolumes) {
    throw notFound(`error looking up volume plugin ${volumeDriver}: plugin "${volumeDriver}" not found`);
  }
  const rules = h.DeviceCgroupRules ?? [];
  for (const r of rules) parseDeviceCgroupRule(r);
  const userns = h.UsernsMode ?? '';
  if (userns !== '' && userns !== 'host') {
    throw invalidParameter(`HostConfig.UsernsMode "${userns}" is not supported: berth has no user-namespace remapping (only "host", the default, is)`);
  }
  const parent = h.CgroupParent ?? '';
  if (parent && (parent.split('/').includes('..') || !/^[\w./-]+$/.test(parent))) {
    throw invalidParameter(`invalid cgroup parent ${JSON.stringify(parent)}: use a cgroup path such as /mygroup or mygroup/sub`);
  }
  return {
    ...(isolation ? { isolation } : {}),
    ...(volumeDriver ? { volumeDriver } : {}),
    ...(rules.length ? { deviceCgroupRules: [...rules] } : {}),
    ...(h.MaskedPaths ? { maskedPaths: [...h.MaskedPaths] } : {}),
    ...(h.ReadonlyPaths ? { readonlyPaths: [...h.ReadonlyPaths] } : {}),
    ...(parent ? { cgroupParent: posix.normalize(`/${parent}`) } : {}),
    ...(userns ? { usernsMode: userns } : {}),
  };
}

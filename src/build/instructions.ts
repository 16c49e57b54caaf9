/**
 * The instructions that only change the image config (ENV, LABEL, EXPOSE,
 * USER, VOLUME, STOPSIGNAL, CMD, ENTRYPOINT, SHELL, HEALTHCHECK, ONBUILD,
 * MAINTAINER), as pure functions of the stage's config: each returns the
 * text Docker writes after `#(nop) ` in the history.
 *
 * Error contract: InvalidParameter with Docker's messages for bad arguments.
 */
import { invalidParameter } from '../errdefs/errdefs.js';
import type { ContainerDefaults } from '../image/oci.js';
import { checkSignal, exposedPort, goQuoteList, healthcheckText, parseGoDuration, setEnv } from './config.js';
import type { Instruction } from './dockerfile/parser.js';

export const DEFAULT_SHELL = ['/bin/sh', '-c'];

/** What a config instruction changes: the config, whether CMD was set in this stage, the author. */
export interface ConfigState {
  config: ContainerDefaults;
  cmdSet: boolean;
  author?: string;
}

/** Applies a config-only instruction; undefined when ins is not one (RUN, COPY, ADD, WORKDIR, ARG, FROM). */
export function applyConfigInstruction(s: ConfigState, ins: Instruction, word: (w: string) => string): string | undefined {
  switch (ins.cmd) {
    case 'env': {
      let msg = 'ENV';
      let next = s.config.Env ?? [];
      for (const pair of ins.args) {
        const [k, v] = splitPair(pair, word);
        next = setEnv(next, k, v);
        msg += ` ${k}=${v}`;
      }
      s.config.Env = next;
      return msg;
    }
    case 'label': {
      let msg = 'LABEL';
      const labels = { ...(s.config.Labels ?? {}) };
      for (const pair of ins.args) {
        const [k, v] = splitPair(pair, word);
        labels[k] = v;
        msg += ` ${k}=${v}`;
      }
      s.config.Labels = labels;
      return msg;
    }
    case 'expose': {
      const ports = ins.args.map(word);
      const exposed = { ...(s.config.ExposedPorts ?? {}) };
      for (const p of ports) for (const x of exposedPort(p)) exposed[x] = {};
      s.config.ExposedPorts = exposed;
      return `EXPOSE ${ports.join(' ')}`;
    }
    case 'user':
      s.config.User = word(one(ins));
      return `USER ${s.config.User}`;
    case 'volume': {
      const vols = ins.args.map(word).filter((v) => v !== '');
      if (vols.length === 0) throw invalidParameter('VOLUME specified can not be an empty string');
      s.config.Volumes = { ...(s.config.Volumes ?? {}), ...Object.fromEntries(vols.map((v) => [v, {}])) };
      return `VOLUME [${vols.join(' ')}]`;
    }
    case 'stopsignal': {
      const sig = word(one(ins));
      checkSignal(sig);
      s.config.StopSignal = sig;
      return `STOPSIGNAL ${sig}`;
    }
    case 'cmd':
      s.config.Cmd = command(s.config, ins);
      s.cmdSet = true;
      return `CMD ${goQuoteList(s.config.Cmd)}`;
    case 'entrypoint':
      s.config.Entrypoint = ins.args.length === 0 && !ins.json ? null : command(s.config, ins);
      if (!s.cmdSet) s.config.Cmd = null;
      return `ENTRYPOINT ${goQuoteList(s.config.Entrypoint ?? [])}`;
    case 'shell':
      if (!ins.json) throw invalidParameter('SHELL requires the arguments to be in JSON form');
      if (ins.args.length === 0) throw invalidParameter('SHELL requires at least one argument');
      s.config.Shell = ins.args;
      return `SHELL ${goQuoteList(ins.args)}`;
    case 'healthcheck':
      s.config.Healthcheck = healthcheck(ins);
      return `HEALTHCHECK ${healthcheckText(s.config.Healthcheck)}`;
    case 'onbuild': {
      const trigger = ins.args[0]!.trim();
      s.config.OnBuild = [...(s.config.OnBuild ?? []), trigger];
      return `ONBUILD ${trigger}`;
    }
    case 'maintainer':
      s.author = one(ins);
      return `MAINTAINER ${s.author}`;
    default:
      return undefined;
  }
}

/** CMD/ENTRYPOINT/RUN argv: the JSON words, or the shell with the command line. */
export function command(config: ContainerDefaults, ins: Instruction): string[] {
  if (ins.json) return ins.args;
  return [...(config.Shell ?? DEFAULT_SHELL), ins.args.join(' ')];
}

export function one(ins: Instruction): string {
  if (ins.args.length !== 1 || ins.args[0] === '') throw invalidParameter(`${ins.cmd.toUpperCase()} requires exactly one argument`);
  return ins.args[0]!;
}

function splitPair(pair: string, word: (w: string) => string): [string, string] {
  const i = pair.indexOf('=');
  const k = word(pair.slice(0, i));
  if (k === '') throw invalidParameter(`names can not be blank in ${JSON.stringify(pair)}`);
  return [k, word(pair.slice(i + 1))];
}

function healthcheck(ins: Instruction): NonNullable<ContainerDefaults['Healthcheck']> {
  if (ins.args[0] === 'NONE') return { Test: ['NONE'] };
  const sub = ins.next!;
  if (sub.args.length === 0) throw invalidParameter('Missing command after HEALTHCHECK CMD');
  const hc: NonNullable<ContainerDefaults['Healthcheck']> = { Test: sub.json ? ['CMD', ...sub.args] : ['CMD-SHELL', sub.args.join(' ')] };
  for (const f of ins.flags) {
    const v = f.value ?? '';
    if (f.name === 'retries') {
      if (!/^\d+$/.test(v) || Number(v) < 1) throw invalidParameter('--retries must be at least 1');
      hc.Retries = Number(v);
      continue;
    }
    const ns = parseGoDuration(f.name, v);
    if (ns !== 0 && ns < 1e6) throw invalidParameter(`Interval "${f.name}" cannot be less than 1ms`);
    if (f.name === 'interval') hc.Interval = ns;
    else if (f.name === 'timeout') hc.Timeout = ns;
    else hc.StartPeriod = ns;
  }
  return hc;
}

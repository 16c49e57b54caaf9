/**
 * The CLI's commands, by the words that select them. A module is loaded only
 * when its first word is used (each is a chunk of the bundle, so `berth run`
 * does not compile the template engine, nor `berth ps` the run-flag parser);
 * help and unknown words load them all.
 *
 * Adding a top-level command is one module here in commands/ that exports a
 * registrar `(cli) => void` (calling cli.add for each verb), plus one line in
 * COMMAND_MODULES naming its first words and that registrar.
 */
import type { Cli } from '../command.js';
import type { CliContext } from '../context.js';

export type Registrar = (cli: Cli<CliContext>) => void;

export interface CommandModule {
  /** First words of a command line that need this module (`image` for `image build` too). */
  words: string[];
  load: () => Promise<Registrar>;
}

export const COMMAND_MODULES: CommandModule[] = [
  { words: ['version', 'info', 'system'], load: async () => (await import('./system.js')).registerSystemCommands },
  { words: ['images', 'image', 'tag', 'rmi', 'import', 'save', 'load', 'history'], load: async () => (await import('./images.js')).registerImageCommands },
  { words: ['inspect'], load: async () => (await import('./inspect.js')).registerInspectCommand },
  {
    words: ['container', 'ps', 'stop', 'restart', 'kill', 'pause', 'unpause', 'rm', 'wait', 'rename', 'logs', 'top', 'stats', 'diff', 'commit', 'export', 'cp', 'update'],
    load: async () => (await import('./containers.js')).registerContainerCommands,
  },
  { words: ['container', 'run', 'create', 'start', 'attach'], load: async () => (await import('./run.js')).registerRunCommands },
  { words: ['container', 'exec'], load: async () => (await import('./exec.js')).registerExecCommand },
  { words: ['system', 'events'], load: async () => (await import('./events.js')).registerEventsCommand },
  { words: ['network'], load: async () => (await import('./networks.js')).registerNetworkCommands },
  { words: ['port'], load: async () => (await import('./port.js')).registerPortCommand },
  { words: ['volume'], load: async () => (await import('./volumes.js')).registerVolumeCommands },
  // registries (issue 7): pull, push, login, logout, and `image pull|push`
  { words: ['pull', 'push', 'login', 'logout', 'image'], load: async () => (await import('./registry.js')).registerRegistryCommands },
  // image build (issue 14): build, image build, builder build|prune
  { words: ['build', 'builder', 'image'], load: async () => (await import('./build.js')).registerBuildCommands },
];

/** The registrars for a command line: its modules, or all of them (help, unknown words). */
export async function registrarsFor(first: string | undefined): Promise<Registrar[]> {
  const matching = COMMAND_MODULES.filter((m) => first !== undefined && m.words.includes(first));
  return Promise.all((matching.length ? matching : COMMAND_MODULES).map((m) => m.load()));
}

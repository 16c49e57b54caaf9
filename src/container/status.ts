/** Docker's human status line for `ps` ("Up 3 seconds", "Exited (0) 2 minutes ago"). */
import { humanDuration } from '../util/go-units.js';
import { ZERO_TIME, type ContainerState } from './types.js';

export function statusText(s: ContainerState, now = Date.now()): string {
  const since = (t: string) => humanDuration(now - Date.parse(t));
  switch (s.status) {
    case 'running':
      if (s.health) return `Up ${since(s.startedAt)} (${s.health.status === 'starting' ? 'health: starting' : s.health.status})`;
      return `Up ${since(s.startedAt)}`;
    case 'paused':
      return `Up ${since(s.startedAt)} (Paused)`;
    case 'restarting':
      return `Restarting (${s.exitCode}) ${since(s.finishedAt)} ago`;
    case 'removing':
      return 'Removal In Progress';
    case 'dead':
      return 'Dead';
    default:
      if (s.startedAt === ZERO_TIME) return 'Created';
      if (s.finishedAt === ZERO_TIME) return '';
      return `Exited (${s.exitCode}) ${since(s.finishedAt)} ago`;
  }
}

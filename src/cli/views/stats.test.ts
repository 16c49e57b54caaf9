import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { StatsResponse } from '../../api/types/containers.js';
import { dockerAgainst } from './docker-harness.test.js';
import { cpuPercentUnix, invalidStatsEntry, memUsageNoCache, renderStats, statsEntry, statsFormat, statsRows } from './stats.js';

const HAVE_DOCKER = spawnSync('docker', ['--version']).status === 0;

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-stats-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function cpu(total: number, system: number, online: number, percpu?: number[]): StatsResponse['cpu_stats'] {
  return {
    cpu_usage: { total_usage: total, usage_in_kernelmode: 0, usage_in_usermode: 0, ...(percpu ? { percpu_usage: percpu } : {}) },
    system_cpu_usage: system,
    online_cpus: online,
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  };
}

function sample(over: Partial<StatsResponse>): StatsResponse {
  return {
    read: '2024-01-01T00:00:01Z',
    preread: '2024-01-01T00:00:00Z',
    name: '/c',
    id: 'a'.repeat(64),
    pids_stats: { current: 1 },
    blkio_stats: { io_service_bytes_recursive: null },
    num_procs: 0,
    cpu_stats: cpu(0, 0, 0),
    precpu_stats: cpu(0, 0, 0),
    memory_stats: {},
    ...over,
  };
}

/** Samples served for /containers/<key>/stats. */
const SAMPLES: Record<string, StatsResponse> = {
  // cgroup v2 memory, 8 CPUs, two networks, mixed-case blkio ops.
  web: sample({
    name: '/web',
    id: '3f4e5d6c7b8a' + 'f'.repeat(52),
    cpu_stats: cpu(2_000_000_000 + 123_456_789, 1_000_000_000_000 + 8_000_000_000, 8),
    precpu_stats: cpu(2_000_000_000, 1_000_000_000_000, 8),
    memory_stats: { usage: 9_437_184 + 2_000_000, limit: 25_232_547_840, stats: { inactive_file: 2_000_000, active_file: 5 } },
    networks: {
      eth0: { rx_bytes: 1_234_567, rx_packets: 0, rx_errors: 0, rx_dropped: 0, tx_bytes: 890, tx_packets: 0, tx_errors: 0, tx_dropped: 0 },
      eth1: { rx_bytes: 1000, rx_packets: 0, rx_errors: 0, rx_dropped: 0, tx_bytes: 1000, tx_packets: 0, tx_errors: 0, tx_dropped: 0 },
    },
    blkio_stats: {
      io_service_bytes_recursive: [
        { major: 8, minor: 0, op: 'read', value: 4096 },
        { major: 8, minor: 0, op: 'Write', value: 1_048_576 },
        { major: 8, minor: 0, op: 'Read', value: 10 },
        { major: 8, minor: 0, op: 'sync', value: 999 },
        { major: 8, minor: 0, op: '', value: 7 },
      ],
    },
    pids_stats: { current: 42 },
  }),
  // cgroup v1 memory (total_inactive_file), online_cpus 0 → percpu length.
  db: sample({
    name: '/db',
    id: '1'.repeat(64),
    cpu_stats: cpu(5_000, 110_000, 0, [1, 2, 3, 4]),
    precpu_stats: cpu(4_875, 10_000, 0),
    memory_stats: { usage: 1_610_612_736, limit: 2_147_483_648, stats: { total_inactive_file: 536_870_912, inactive_file: 1 } },
    pids_stats: {},
  }),
  // Stopped: nothing but a name.
  idle: sample({ name: '/idle', id: '2'.repeat(64), memory_stats: {}, pids_stats: {} }),
  // Inactive cache larger than usage: usage kept.
  odd: sample({ name: '/', id: '3'.repeat(64), memory_stats: { usage: 100, limit: 0, stats: { total_inactive_file: 500, inactive_file: 50 } } }),
};

const STATS_CASES: string[][] = [
  ['stats', '--no-stream', 'web', 'db', 'idle', 'odd'],
  ['stats', '--no-stream', '--no-trunc', 'web', 'db'],
  ['stats', '--no-stream', '--format', 'json', 'web', 'db', 'odd'],
  ['stats', '--no-stream', '--format', 'table {{.Container}}\\t{{.Name}}\\t{{.MemUsage}}\\t{{.PIDs}}', 'web', 'odd'],
  ['stats', '--no-stream', '--format', '{{.ID}}: {{.CPUPerc}} {{.MemPerc}} {{.NetIO}} {{.BlockIO}}', 'web', 'db', 'idle'],
];

function oursStats(argv: string[]): string {
  const i = argv.indexOf('--format');
  const format = i >= 0 ? argv[i + 1] : undefined;
  const names = argv.filter((a, j) => !a.startsWith('-') && a !== 'stats' && j !== i + 1);
  return renderStats(
    names.map((n) => statsEntry(n, SAMPLES[n]!)),
    { format, noTrunc: argv.includes('--no-trunc') },
  );
}

describe('stats output matches the docker CLI', { skip: !HAVE_DOCKER && 'docker CLI not installed' }, () => {
  for (const argv of STATS_CASES) {
    test(argv.join(' '), async () => {
      const got = await dockerAgainst(dir, argv, (p) => {
        const m = /^\/containers\/([^/]+)\/stats$/.exec(p);
        return m ? SAMPLES[m[1]!] : undefined;
      });
      assert.equal(got.code, 0, got.stderr);
      assert.equal(oursStats(argv), got.stdout);
    });
  }
});

describe('stats calculations', () => {
  test('CPU %: deltas × online CPUs', () => {
    assert.equal(cpuPercentUnix(SAMPLES['web']!), (123_456_789 / 8_000_000_000) * 8 * 100);
    assert.equal(cpuPercentUnix(SAMPLES['db']!), (125 / 100_000) * 4 * 100);
    assert.equal(cpuPercentUnix(SAMPLES['idle']!), 0);
  });
  test('memory without cache', () => {
    assert.equal(memUsageNoCache({ usage: 1000, stats: { total_inactive_file: 300, inactive_file: 100 } }), 700);
    assert.equal(memUsageNoCache({ usage: 1000, stats: { inactive_file: 100 } }), 900);
    assert.equal(memUsageNoCache({ usage: 1000, stats: { total_inactive_file: 2000, inactive_file: 100 } }), 900);
    assert.equal(memUsageNoCache({ usage: 1000, stats: { inactive_file: 2000 } }), 1000);
    assert.equal(memUsageNoCache({}), 0);
  });
  test('rows', () => {
    const [row] = statsRows([statsEntry('web', SAMPLES['web']!)]);
    assert.deepEqual(row, {
      Container: 'web',
      Name: 'web',
      ID: '3f4e5d6c7b8a',
      CPUPerc: '12.35%',
      MemUsage: '9MiB / 23.5GiB',
      MemPerc: '0.04%',
      NetIO: '1.24MB / 1.89kB',
      BlockIO: '4.11kB / 1.05MB',
      PIDs: '42',
    });
  });
  test('invalid entries show --', () => {
    assert.deepEqual(statsRows([invalidStatsEntry('x')])[0], {
      Container: 'x',
      Name: '--',
      ID: '',
      CPUPerc: '--',
      MemUsage: '-- / --',
      MemPerc: '--',
      NetIO: '--',
      BlockIO: '--',
      PIDs: '--',
    });
  });
  test('default table', () => {
    assert.equal(statsFormat(undefined), 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}');
    assert.equal(
      renderStats([statsEntry('web', SAMPLES['web']!)]),
      'CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O           BLOCK I/O         PIDS\n' +
        '3f4e5d6c7b8a   web       12.35%    9MiB / 23.5GiB      0.04%     1.24MB / 1.89kB   4.11kB / 1.05MB   42\n',
    );
  });
});

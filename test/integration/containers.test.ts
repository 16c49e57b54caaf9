/**
 * The container lifecycle end to end on the real kernel, through berth's CLI
 * and the real docker CLI (same scenarios), and through dockerode: run and
 * its exit codes, bad input that leaves nothing behind, filesystem and
 * process isolation, memory and pids limits, logs, stop/kill/restart/pause,
 * cp (symlinks stay inside the container), export, prune, update, restart
 * policies, and live restore across a daemon killed with SIGKILL.
 *
 * Containers run with `--network none` (networking has its own suite).
 */
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import tar from 'tar-stream';
import { startDaemon, type TestDaemon } from '../harness/daemon.js';
import { cliSession, sdk, type CliName } from '../harness/clients.js';
import { loadBusybox } from '../harness/fixtures.js';
import { sleep, until, pidAlive, procReport } from '../harness/wait.js';




/** A container's cgroup file on the host (cgroup v1 controller dir, or the v2 unified dir). */
function cgroupFile(id: string, controller: string, v1: string, v2: string): string {
  const p1 = `/sys/fs/cgroup/${controller}/berth/${id}/${v1}`;
  return existsSync(p1) ? p1 : `/sys/fs/cgroup/berth/${id}/${v2}`;
}

async function tarNames(archive: Buffer): Promise<string[]> {
  const names: string[] = [];
  const ex = tar.extract();
  const done = (async () => {
    for await (const e of ex) {
      names.push(e.header.name);
      e.resume();
    }
  })();
  ex.end(archive);
  await done;
  return names;
}

const NONE = ['--network', 'none'];
const ID64 = /^[0-9a-f]{64}$/;

for (const client of ['berth', 'docker'] as CliName[]) {
  describe(`containers through the ${client} CLI`, () => {
    let d: TestDaemon;
    let work: string;
    const { run, ok, inspect } = cliSession(client, () => d);
    /** `run -d` with --network none; returns the full ID. */
    const runD = async (args: string[]) => {
      const id = await ok(['run', '-d', ...NONE, ...args]);
      assert.match(id, ID64);
      return id;
    };
    const allIds = async () => (await ok(['ps', '-a', '-q', '--no-trunc'])).split('\n').filter(Boolean).sort();

    before(async () => {
      d = await startDaemon();
      await loadBusybox(d);
      work = join(d.base, 'work');
      mkdirSync(work);
    });
    after(async () => {
      await d?.cleanup();
    });

    it('runs a command: output, exit codes, --rm leaves nothing', async () => {
      const before = await allIds();
      const hi = await run(['run', '--rm', ...NONE, 'busybox', 'echo', 'hi']);
      assert.equal(hi.code, 0, hi.stderr);
      assert.equal(hi.stdout, 'hi\n');
      const three = await run(['run', '--rm', ...NONE, 'busybox', 'sh', '-c', 'exit 3']);
      assert.equal(three.code, 3, three.stderr);
      // A command that does not exist: 127, docker's message, and --rm still removes the container.
      const missing = await run(['run', '--rm', ...NONE, 'busybox', 'nosuchcommand']);
      assert.equal(missing.code, 127, missing.stderr);
      assert.match(missing.stderr, new RegExp(`${client}: Error response from daemon: .*exec: "nosuchcommand": executable file not found in \\$PATH`));
      // A file that is not executable: 126.
      const notExec = await run(['run', '--rm', ...NONE, 'busybox', '/etc/passwd']);
      assert.equal(notExec.code, 126, notExec.stderr);
      assert.match(notExec.stderr, /exec: "\/etc\/passwd": permission denied/);
      // Without --rm a failed start leaves a container in Created with the exit code.
      const kept = await run(['run', '--name', 'failed-start', ...NONE, 'busybox', 'nosuchcommand']);
      assert.equal(kept.code, 127);
      assert.equal(await inspect('failed-start', '{{.State.Status}} {{.State.ExitCode}}'), 'created 127');
      await ok(['rm', 'failed-start']);
      assert.deepEqual(await allIds(), before, 'run --rm left containers behind');
    });

    it('rejects an unknown image, bad flags, a name in use and removing a running container', async () => {
      const before = await allIds();
      const unknown = await run(['run', ...NONE, 'nosuchimage:v9', 'true']);
      assert.equal(unknown.code, 125);
      assert.match(unknown.stderr, /Unable to find image 'nosuchimage:v9' locally\n.*(registry cannot be reached|nosuchimage)/);
      const created = await run(['create', ...NONE, 'nosuchimage:v9']);
      assert.notEqual(created.code, 0);
      assert.match(created.stderr, /No such image|Unable to find image/);
      assert.deepEqual(await allIds(), before, 'an unknown image left a container');

      const badFlag = await run(['run', '--memory', 'abc', ...NONE, 'busybox', 'true']);
      assert.equal(badFlag.code, 125);
      assert.match(badFlag.stderr, /invalid argument "abc" for "-m, --memory" flag/);
      assert.deepEqual(await allIds(), before, 'a bad flag left a container');

      const first = await runD(['--name', 'taken', 'busybox', 'sleep', '60']);
      const dup = await run(['run', '-d', '--name', 'taken', ...NONE, 'busybox', 'true']);
      assert.equal(dup.code, 125);
      assert.match(dup.stderr, new RegExp(`Conflict\\. The container name "/taken" is already in use by container "${first}"\\. You have to remove \\(or rename\\) that container to be able to reuse that name\\.`));

      const rm = await run(['rm', 'taken']);
      assert.equal(rm.code, 1);
      assert.match(rm.stderr, new RegExp(`Error response from daemon: You cannot remove a running container ${first}\\. Stop the container before attempting removal or force remove`));
      assert.equal(await inspect('taken', '{{.State.Status}}'), 'running');
      assert.equal(await ok(['rm', '-f', 'taken']), 'taken');
      assert.deepEqual(await allIds(), before);
    });

    it('isolates the filesystem: changes stay in their container; diff and commit see them', async () => {
      const bystander = await runD(['busybox', 'sleep', '60']);
      const w = await run(['run', '--name', 'writer', ...NONE, 'busybox', 'sh', '-c', 'echo data-42 > /marker.txt; cat /marker.txt']);
      assert.equal(w.code, 0, w.stderr);
      assert.equal(w.stdout, 'data-42\n');
      const fresh = await run(['run', '--rm', ...NONE, 'busybox', 'cat', '/marker.txt']);
      assert.equal(fresh.code, 1, 'a new container from the image sees the file');
      assert.match(fresh.stderr, /No such file or directory/);
      const other = await run(['cp', `${bystander}:/marker.txt`, '-']);
      assert.notEqual(other.code, 0, 'another running container sees the file');
      assert.match(other.stderr, /Could not find the file \/marker\.txt in container/);
      assert.equal(await ok(['diff', bystander]), '');

      const diff = await ok(['diff', 'writer']);
      assert.deepEqual(diff.split('\n'), ['A /marker.txt']);

      const imageId = await ok(['commit', 'writer', 'committed:v1']);
      assert.match(imageId, /^sha256:[0-9a-f]{64}$/);
      const fromCommit = await run(['run', '--rm', ...NONE, 'committed:v1', 'cat', '/marker.txt']);
      assert.equal(fromCommit.code, 0, fromCommit.stderr);
      assert.equal(fromCommit.stdout, 'data-42\n');
      await ok(['rm', '-f', bystander, 'writer']);
    });

    it('isolates processes and the host name: PID 1 is the command, hostname is the short ID', async () => {
      const pid1 = await run(['run', '--rm', ...NONE, 'busybox', 'sh', '-c', 'echo $$; tr "\\0" " " < /proc/1/cmdline; echo; ps -o pid | wc -l']);
      assert.equal(pid1.code, 0, pid1.stderr);
      const [dollar, cmdline, procs] = pid1.stdout.split('\n');
      assert.equal(dollar, '1');
      assert.match(cmdline!, /^sh -c echo \$\$;/);
      assert.ok(Number(procs) <= 4, `the container sees the host's processes (${procs} lines of ps)`);

      const id = await runD(['busybox', 'hostname']);
      assert.equal(await ok(['wait', id]), '0');
      const host = await ok(['logs', id]);
      assert.match(host, /^[0-9a-f]{12}$/);
      assert.equal(host, id.slice(0, 12));

      const etc = await run(['run', '--rm', ...NONE, 'busybox', 'sh', '-c', 'cat /etc/hostname; grep -c localhost /etc/hosts; test -f /etc/resolv.conf && echo resolv-ok']);
      assert.equal(etc.code, 0, etc.stderr);
      const [hostname, localhosts, resolv] = etc.stdout.split('\n');
      assert.match(hostname!, /^[0-9a-f]{12}$/);
      assert.ok(Number(localhosts) >= 1, '/etc/hosts has no localhost line');
      assert.equal(resolv, 'resolv-ok');
      await ok(['rm', id]);
    });

    it('--memory: a memory hog is OOM-killed (137, OOMKilled)', async () => {
      const r = await run(['run', '--name', 'hog', '--memory', '32m', ...NONE, 'busybox', 'sh', '-c', 'x=a; while true; do x=$x$x; done']);
      assert.equal(r.code, 137, r.stderr);
      assert.equal(await inspect('hog', '{{.State.OOMKilled}} {{.State.ExitCode}} {{.State.Status}} {{.HostConfig.Memory}}'), `true 137 exited ${32 * 1024 * 1024}`);
      await ok(['rm', 'hog']);
    });

    it('--pids-limit: a fork bomb cannot go beyond the limit', async () => {
      // The subshell forks sleeps until fork fails; the main shell then stays, as pid 1.
      const id = await runD(['--pids-limit', '20', 'busybox', 'sh', '-c', '(for i in $(seq 100); do sleep 30 & done); echo fork-bomb-stopped; exec sleep 60']);
      const logs = await until('the fork bomb to stop', async () => {
        const l = await run(['logs', id]);
        return l.stdout.includes('fork-bomb-stopped') ? l : undefined;
      });
      assert.match(logs.stderr, /can't fork/);
      const samples: number[] = [];
      for (let i = 0; i < 5; i++, await sleep(100)) samples.push(Number(readFileSync(cgroupFile(id, 'pids', 'pids.current', 'pids.current'), 'utf8')));
      assert.ok(samples.every((n) => n <= 20) && samples.some((n) => n >= 10), `pids.current was ${samples.join(', ')}`);
      assert.equal(readFileSync(cgroupFile(id, 'pids', 'pids.max', 'pids.max'), 'utf8').trim(), '20');
      assert.equal(await inspect(id, '{{.State.Status}} {{.HostConfig.PidsLimit}}'), 'running 20');
      await ok(['kill', id]);
      assert.equal(await inspect(id, '{{.State.Status}} {{.State.ExitCode}}'), 'exited 137');
      await ok(['rm', id]);
    });

    it('run -d, ps and logs: stdout and stderr apart, --tail, -t, -f', async () => {
      const id = await runD(['--name', 'talker', 'busybox', 'sh', '-c', 'echo out1; echo err1 >&2; sleep 0.1; echo out2; while true; do sleep 0.1; done']);
      const ps = await ok(['ps', '--format', '{{.ID}} {{.Names}} {{.Status}}']);
      assert.match(ps, new RegExp(`^${id.slice(0, 12)} talker Up `, 'm'));
      const logs = await until('the logs to have three lines', async () => {
        const l = await run(['logs', 'talker']);
        return l.stdout.split('\n').length === 3 && l.stderr === 'err1\n' ? l : undefined;
      });
      assert.equal(logs.stdout, 'out1\nout2\n', 'stdout lines on stdout');
      assert.equal(logs.stderr, 'err1\n', 'stderr lines on stderr');
      const tail = await run(['logs', '--tail', '1', 'talker']);
      assert.equal(tail.stdout + tail.stderr, 'out2\n');
      const ts = await run(['logs', '-t', 'talker']);
      assert.match(ts.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z out1\n\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z out2\n$/);
      assert.match(ts.stderr, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z err1\n$/);
      await ok(['rm', '-f', id]);

      // -f follows until the container exits.
      const slow = await runD(['busybox', 'sh', '-c', 'for i in 1 2 3 4; do echo line$i; sleep 0.3; done; exit 4']);
      const t0 = Date.now();
      const follow = await run(['logs', '-f', slow]);
      assert.equal(follow.code, 0, follow.stderr);
      assert.equal(follow.stdout, 'line1\nline2\nline3\nline4\n');
      assert.ok(Date.now() - t0 >= 600, 'logs -f returned before the container ended');
      assert.equal(await inspect(slow, '{{.State.Status}} {{.State.ExitCode}}'), 'exited 4');
      await ok(['rm', slow]);
    });

    it('stop, stop -t, kill -s', async () => {
      // A process that traps TERM exits at once.
      const polite = await runD(['busybox', 'sh', '-c', 'trap "echo bye; exit 0" TERM; trap "echo got-usr1" USR1; echo ready; while true; do sleep 0.1; done']);
      await until('the container to be ready', async () => (await ok(['logs', polite])).includes('ready'));
      assert.equal(await ok(['kill', '-s', 'USR1', polite]), polite);
      await until('the USR1 trap to run', async () => (await ok(['logs', polite])).includes('got-usr1'));
      assert.equal(await inspect(polite, '{{.State.Status}}'), 'running');
      let t0 = Date.now();
      assert.equal(await ok(['stop', polite]), polite);
      assert.ok(Date.now() - t0 < 5000, `stop took ${Date.now() - t0} ms for a container that exits on TERM`);
      assert.equal(await inspect(polite, '{{.State.Status}} {{.State.ExitCode}}'), 'exited 0');
      assert.match(await ok(['logs', polite]), /bye$/);

      // A process that ignores TERM is killed after the timeout.
      const stubborn = await runD(['busybox', 'sh', '-c', 'trap "" TERM; while true; do sleep 0.1; done']);
      t0 = Date.now();
      await ok(['stop', '-t', '1', stubborn]);
      const took = Date.now() - t0;
      assert.ok(took >= 900 && took < 6000, `stop -t 1 took ${took} ms`);
      assert.equal(await inspect(stubborn, '{{.State.Status}} {{.State.ExitCode}}'), 'exited 137');

      const again = await run(['kill', stubborn]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /is not running/);
      await ok(['rm', polite, stubborn]);
    });

    it('restart, pause/unpause, wait, rename, top, stats, inspect', async () => {
      const id = await runD(['--name', 'lc', 'busybox', 'sh', '-c', 'trap "exit 0" TERM; echo started; while true; do sleep 0.1; done']);
      const pid = Number(await inspect('lc', '{{.State.Pid}}'));
      assert.ok(pid > 1 && pidAlive(pid), `State.Pid ${pid} is not a live process`);
      assert.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /^sh\0-c\0trap/);

      const top = await ok(['top', 'lc']);
      const [titles, ...rows] = top.split('\n');
      assert.match(titles!, /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/);
      assert.ok(rows.some((r) => r.split(/\s+/)[1] === String(pid) && r.includes('sh -c trap')), `top does not list pid ${pid}:\n${top}`);

      const stats = await ok(['stats', '--no-stream', 'lc']);
      const [head, row, ...more] = stats.split('\n');
      assert.match(head!, /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/);
      assert.match(row!, new RegExp(`^${id.slice(0, 12)}\\s+lc\\s+\\d+\\.\\d+%\\s+\\S+ / \\S+\\s+\\d+\\.\\d+%.*\\s+[1-9]\\d*$`));
      assert.equal(more.length, 0);

      await ok(['restart', 'lc']);
      const pid2 = Number(await inspect('lc', '{{.State.Pid}}'));
      assert.notEqual(pid2, pid);
      assert.ok(pidAlive(pid2));
      assert.ok(!pidAlive(pid), 'the old process survived restart');
      assert.equal(await inspect('lc', '{{.State.Status}}'), 'running');
      await until('the restarted container to log', async () => (await ok(['logs', 'lc'])) === 'started\nstarted');

      await ok(['pause', 'lc']);
      assert.match(await ok(['ps', '--format', '{{.Names}} {{.Status}}']), /^lc Up .* \(Paused\)$/m);
      assert.equal(await inspect('lc', '{{.State.Status}} {{.State.Paused}}'), 'paused true');
      const freezer = `/sys/fs/cgroup/freezer/berth/${id}/freezer.state`;
      if (existsSync(freezer)) assert.equal(readFileSync(freezer, 'utf8').trim(), 'FROZEN');
      const pausedAgain = await run(['pause', 'lc']);
      assert.equal(pausedAgain.code, 1);
      assert.match(pausedAgain.stderr, /is already paused/);
      await ok(['unpause', 'lc']);
      assert.doesNotMatch(await ok(['ps', '--format', '{{.Names}} {{.Status}}']), /Paused/);
      if (existsSync(freezer)) assert.equal(readFileSync(freezer, 'utf8').trim(), 'THAWED');

      await ok(['rename', 'lc', 'lc2']);
      assert.equal(await inspect('lc2', '{{.Name}} {{.Id}}'), `/lc2 ${id}`);
      const gone = await run(['inspect', 'lc']);
      assert.equal(gone.code, 1);
      assert.match(gone.stderr, /No such (container|object): lc/);
      await ok(['rm', '-f', 'lc2']);

      const waiter = await runD(['busybox', 'sh', '-c', 'sleep 0.5; exit 5']);
      const w = await run(['wait', waiter]);
      assert.equal(w.code, 0, w.stderr);
      assert.equal(w.stdout, '5\n');
      assert.equal(await ok(['wait', waiter]), '5', 'wait on an exited container');
      await ok(['rm', waiter]);
    });

    it('inspect shows the snapshotter’s GraphDriver: the dirs that hold the container’s files', async () => {
      const id = await runD(['busybox', 'sh', '-c', 'echo mine > /marker; exec sleep 1000']);
      try {
        assert.equal(await inspect(id, '{{.Driver}} {{.GraphDriver.Name}}'), 'overlay2 overlay2');
        const data = JSON.parse(await inspect(id, '{{json .GraphDriver.Data}}')) as Record<string, string>;
        assert.deepEqual(Object.keys(data).sort(), ['LowerDir', 'MergedDir', 'UpperDir', 'WorkDir']);
        await until('the container to write /marker', async () => existsSync(join(data['UpperDir']!, 'marker')));
        assert.equal(readFileSync(join(data['UpperDir']!, 'marker'), 'utf8'), 'mine\n', 'UpperDir is the container layer');
        assert.equal(readFileSync(join(data['MergedDir']!, 'marker'), 'utf8'), 'mine\n', 'MergedDir is where its rootfs is mounted');
        assert.ok(existsSync(join(data['LowerDir']!.split(':').pop()!, 'bin/busybox')), 'LowerDir ends with the image layer');
        assert.ok(lstatSync(data['WorkDir']!).isDirectory(), 'WorkDir is overlay’s work dir');
      } finally {
        await ok(['rm', '-f', id]);
      }
    });

    it('cp both ways; symlinks resolve inside the container, never on the host', async () => {
      const dir = join(work, 'cp');
      mkdirSync(join(dir, 'out'), { recursive: true });
      const id = await runD([
        'busybox',
        'sh',
        '-c',
        'echo "berth-marker-7f3a:x:0:0::/:/bin/sh" >> /etc/passwd; ln -s /etc/passwd /link; ln -s ../../../../../../etc/passwd /escape; ln -s /etc /etclink; mkdir -p /d/sub; echo in-d > /d/sub/f; echo ready; while true; do sleep 0.1; done',
      ]);
      await until('the container to be ready', async () => (await ok(['logs', id])).includes('ready'));
      const marker = /^berth-marker-7f3a:/m;
      assert.doesNotMatch(readFileSync('/etc/passwd', 'utf8'), marker);

      // -L copies what the link leads to, resolved in the container.
      await ok(['cp', '-L', `${id}:/link`, join(dir, 'followed')]);
      assert.ok(lstatSync(join(dir, 'followed')).isFile());
      assert.match(readFileSync(join(dir, 'followed'), 'utf8'), marker);
      await ok(['cp', '-L', `${id}:/escape`, join(dir, 'out')]);
      assert.ok(lstatSync(join(dir, 'out/escape')).isFile(), 'cp -L into a directory keeps the link name');
      assert.match(readFileSync(join(dir, 'out/escape'), 'utf8'), marker, 'a ../ link escaped the container root');
      // A symlinked directory in the path.
      await ok(['cp', `${id}:/etclink/passwd`, join(dir, 'via-dir-link')]);
      assert.match(readFileSync(join(dir, 'via-dir-link'), 'utf8'), marker);
      // Without -L, the link itself is copied (as docker does), not the host file it names.
      await ok(['cp', `${id}:/link`, join(dir, 'as-link')]);
      assert.ok(lstatSync(join(dir, 'as-link')).isSymbolicLink());
      assert.equal(readlinkSync(join(dir, 'as-link')), '/etc/passwd');

      // Directories out, files and directories in.
      await ok(['cp', `${id}:/d`, join(dir, 'dcopy')]);
      assert.equal(readFileSync(join(dir, 'dcopy/sub/f'), 'utf8'), 'in-d\n');
      writeFileSync(join(dir, 'host.txt'), 'from-host\n');
      mkdirSync(join(dir, 'hostdir/inner'), { recursive: true });
      writeFileSync(join(dir, 'hostdir/inner/g'), 'nested\n');
      await ok(['cp', join(dir, 'host.txt'), `${id}:/tmp/`]);
      await ok(['cp', join(dir, 'host.txt'), `${id}:/renamed.txt`]);
      await ok(['cp', join(dir, 'hostdir'), `${id}:/hostdir`]);
      await ok(['stop', '-t', '0', id]);
      // Copying out of a stopped container works too.
      await ok(['cp', `${id}:/tmp/host.txt`, join(dir, 'back.txt')]);
      assert.equal(readFileSync(join(dir, 'back.txt'), 'utf8'), 'from-host\n');
      await ok(['cp', `${id}:/renamed.txt`, join(dir, 'back2.txt')]);
      assert.equal(readFileSync(join(dir, 'back2.txt'), 'utf8'), 'from-host\n');
      await ok(['cp', `${id}:/hostdir/inner/g`, join(dir, 'back3.txt')]);
      assert.equal(readFileSync(join(dir, 'back3.txt'), 'utf8'), 'nested\n');
      const diff = (await ok(['diff', id])).split('\n');
      for (const c of ['C /etc/passwd', 'A /link', 'A /tmp/host.txt', 'A /renamed.txt', 'A /hostdir/inner/g']) assert.ok(diff.includes(c), `diff lacks ${c}:\n${diff.join('\n')}`);
      await ok(['rm', id]);
    });

    it('export writes the container filesystem as a tar', async () => {
      const id = await runD(['busybox', 'sh', '-c', 'echo x > /exported-file']);
      await ok(['wait', id]);
      const out = join(work, 'export.tar');
      await ok(['export', '-o', out, id]);
      const names = await tarNames(readFileSync(out));
      assert.ok(names.includes('bin/busybox'), `no bin/busybox in ${names.slice(0, 20).join(', ')}…`);
      assert.ok(names.includes('exported-file'));
      const piped = await run(['export', id], { binary: true });
      assert.equal(piped.code, 0, piped.stderr);
      assert.ok((await tarNames(piped.stdoutBytes)).includes('bin/busybox'));
      await ok(['rm', id]);
    });

    it('update --memory changes the live limit', async () => {
      const id = await runD(['--memory', '32m', 'busybox', 'sleep', '60']);
      const limit = cgroupFile(id, 'memory', 'memory.limit_in_bytes', 'memory.max');
      assert.equal(readFileSync(limit, 'utf8').trim(), String(32 * 1024 * 1024));
      assert.equal(await ok(['update', '--memory', '64m', '--memory-swap', '128m', id]), id);
      assert.equal(readFileSync(limit, 'utf8').trim(), String(64 * 1024 * 1024));
      assert.equal(await inspect(id, '{{.HostConfig.Memory}}'), String(64 * 1024 * 1024));
      const tooSmall = await run(['update', '--memory', '1m', id]);
      assert.notEqual(tooSmall.code, 0);
      assert.match(tooSmall.stderr, /Minimum memory limit allowed is 6MB/);
      await ok(['rm', '-f', id]);
    });

    it('container prune removes stopped containers only', async () => {
      const stopped1 = await runD(['busybox', 'true']);
      const stopped2 = await runD(['busybox', 'sh', '-c', 'exit 2']);
      const created = await ok(['create', ...NONE, 'busybox', 'true']);
      const running = await runD(['busybox', 'sleep', '60']);
      await ok(['wait', stopped1, stopped2]);
      const r = await ok(['container', 'prune', '-f']);
      const deleted = r.split('\n');
      assert.equal(deleted[0], 'Deleted Containers:');
      for (const id of [stopped1, stopped2, created]) assert.ok(deleted.includes(id), `${id} was not pruned`);
      assert.ok(!deleted.includes(running), 'a running container was pruned');
      assert.match(r, /Total reclaimed space: /);
      assert.deepEqual(await allIds(), [running], await ok(['ps', '-a', '--no-trunc']));
      await ok(['rm', '-f', running]);
    });

    it('restart policies: on-failure:N, always, and stop keeps it stopped', async () => {
      const flaky = await runD(['--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'echo attempt; exit 1']);
      await until(
        'on-failure:2 to give up',
        async () => (await inspect(flaky, '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}')) === 'exited 2 1' && (await ok(['logs', flaky])) === 'attempt\nattempt\nattempt',
      );
      await sleep(500);
      assert.equal(await inspect(flaky, '{{.State.Status}} {{.RestartCount}}'), 'exited 2', 'restarted beyond the maximum');

      // Exits at once twice, then stays up (its layer keeps the count), so that stop meets it running.
      const always = await runD(['--restart', 'always', 'busybox', 'sh', '-c', 'trap "exit 0" TERM; echo up >> /runs; [ $(wc -l < /runs) -ge 3 ] || exit 0; while true; do sleep 0.1; done']);
      await until('always to restart twice and stay up', async () => (await inspect(always, '{{.State.Status}} {{.RestartCount}}')) === 'running 2');
      await ok(['stop', always]);
      const count = await inspect(always, '{{.RestartCount}}');
      assert.equal(await inspect(always, '{{.State.Status}}'), 'exited');
      await sleep(1500);
      assert.equal(await inspect(always, '{{.State.Status}} {{.RestartCount}}'), `exited ${count}`, 'a stopped always-container came back');
      assert.match(await ok(['ps', '-a', '--filter', `id=${always}`, '--format', '{{.Status}}']), /^Exited \(0\) /);
      await ok(['rm', flaky, always]);
    });

    it('live restore: containers outlive a killed daemon and are reconciled at its start', async () => {
      const keeper = await runD(['--name', 'keeper', 'busybox', 'sh', '-c', 'trap "exit 3" TERM; while true; do echo tick; sleep 0.2; done']);
      // The quitter exits when told through a bind mount, so that it exits while the daemon is down however slow the machine.
      const signals = join(work, 'live-restore');
      mkdirSync(signals);
      const quitter = await runD(['--name', 'quitter', '-v', `${signals}:/sig`, 'busybox', 'sh', '-c', 'until [ -e /sig/go ]; do sleep 0.1; done; exit 7']);
      const phoenix = await runD(['--name', 'phoenix', '--restart', 'always', 'busybox', 'sleep', '600']);
      const keeperPid = Number(await inspect(keeper, '{{.State.Pid}}'));
      const quitterPid = Number(await inspect(quitter, '{{.State.Pid}}'));
      const phoenixPid = Number(await inspect(phoenix, '{{.State.Pid}}'));
      for (const pid of [keeperPid, quitterPid, phoenixPid]) assert.ok(pid > 1 && pidAlive(pid), `State.Pid ${pid} is not a live process`);

      await d.kill();
      writeFileSync(join(signals, 'go'), '');
      process.kill(phoenixPid, 'SIGKILL');
      await until('quitter to exit while the daemon is down', () => !pidAlive(quitterPid), 30_000).catch((e: Error) => {
        throw new Error(`${e.message}\n${procReport(quitterPid)}`);
      });
      await until('phoenix to die', () => !pidAlive(phoenixPid), 5_000);
      assert.ok(pidAlive(keeperPid), 'a container died with the daemon');
      await d.start();

      // Exits that happened during the downtime are recorded before the daemon answers.
      assert.equal(await inspect('quitter', '{{.State.Status}} {{.State.ExitCode}}'), 'exited 7');
      assert.match(await ok(['ps', '-a', '--filter', 'name=quitter', '--format', '{{.Status}}']), /^Exited \(7\) /);
      assert.equal(await inspect('keeper', '{{.State.Status}} {{.State.Pid}}'), `running ${keeperPid}`);
      assert.match(await ok(['ps', '--filter', 'name=keeper', '--format', '{{.Status}}']), /^Up /);
      await until('phoenix to run again', async () => (await inspect('phoenix', '{{.State.Status}}')) === 'running' && Number(await inspect('phoenix', '{{.State.Pid}}')) !== phoenixPid);
      const newPid = Number(await inspect('phoenix', '{{.State.Pid}}'));
      assert.ok(pidAlive(newPid));

      // The restored container's streams and lifecycle work.
      const follow = run(['logs', '-f', '--tail', '2', 'keeper']);
      const waiting = run(['wait', 'keeper']);
      await sleep(800);
      assert.equal(await ok(['stop', 'keeper']), 'keeper');
      const [f, w] = await Promise.all([follow, waiting]);
      assert.equal(f.code, 0, f.stderr);
      assert.ok(f.stdout.split('\n').filter((l) => l === 'tick').length >= 4, `logs -f showed ${JSON.stringify(f.stdout)}`);
      assert.equal(w.code, 0, w.stderr);
      assert.equal(w.stdout, '3\n');
      assert.equal(await inspect('keeper', '{{.State.Status}} {{.State.ExitCode}}'), 'exited 3');
      assert.ok(!pidAlive(keeperPid));
      await ok(['rm', '-f', keeper, quitter, phoenix]);
    });
  });
}

/** Splits a multiplexed (non-TTY) log stream into stdout and stderr. */
function demux(buf: Buffer): { stdout: string; stderr: string } {
  const out = { stdout: '', stderr: '' };
  for (let i = 0; i + 8 <= buf.length; ) {
    const size = buf.readUInt32BE(i + 4);
    const payload = buf.subarray(i + 8, i + 8 + size).toString('utf8');
    if (buf[i] === 2) out.stderr += payload;
    else out.stdout += payload;
    i += 8 + size;
  }
  return out;
}

describe('containers through dockerode', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon();
    await loadBusybox(d);
  });
  after(async () => {
    await d?.cleanup();
  });

  it('creates, starts, waits, reads logs apart, and removes', async () => {
    const docker = sdk(d);
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'echo to-out; echo to-err >&2; exit 6'], HostConfig: { NetworkMode: 'none' }, name: 'sdk1' });
    const waited = c.wait({ condition: 'next-exit' });
    await c.start();
    assert.equal((await waited).StatusCode, 6);
    const info = await c.inspect();
    assert.equal(info.Name, '/sdk1');
    assert.equal(info.State.Status, 'exited');
    assert.equal(info.State.ExitCode, 6);
    assert.equal(info.Config.Hostname, c.id.slice(0, 12));
    const logs = demux((await c.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer);
    assert.deepEqual(logs, { stdout: 'to-out\n', stderr: 'to-err\n' });
    const list = await docker.listContainers({ all: true });
    assert.deepEqual(list.map((x) => x.Names), [['/sdk1']]);
    await c.remove();
    assert.deepEqual(await docker.listContainers({ all: true }), []);
  });

  it('reports Docker status codes: unknown image 404, name in use 409, removing a running container 409', async () => {
    const docker = sdk(d);
    await assert.rejects(docker.createContainer({ Image: 'nosuch:image', HostConfig: { NetworkMode: 'none' } }), (e: { statusCode?: number; message?: string }) => e.statusCode === 404 && /No such image: nosuch:image/.test(e.message ?? ''));
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sleep', '60'], HostConfig: { NetworkMode: 'none' }, name: 'sdk2' });
    await c.start();
    await assert.rejects(docker.createContainer({ Image: 'busybox', name: 'sdk2' }), (e: { statusCode?: number }) => e.statusCode === 409);
    await assert.rejects(c.remove(), (e: { statusCode?: number; message?: string }) => e.statusCode === 409 && /You cannot remove a running container/.test(e.message ?? ''));
    const top = await c.top();
    assert.ok(top.Processes.some((p: string[]) => p.join(' ').includes('sleep 60')));
    await c.kill({ signal: 'SIGKILL' });
    assert.equal((await c.inspect()).State.ExitCode, 137);
    await c.remove();
    assert.deepEqual(await docker.listContainers({ all: true }), []);
  });

  it('pauses, restarts, copies files in and out, and follows a restart policy', async () => {
    const docker = sdk(d);
    const c = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.1; done'], HostConfig: { NetworkMode: 'none' } });
    await c.start();
    await c.pause();
    assert.equal((await c.inspect()).State.Status, 'paused');
    await c.unpause();
    const pid = (await c.inspect()).State.Pid;
    await c.restart({ t: 2 });
    const after = (await c.inspect()).State;
    assert.equal(after.Status, 'running');
    assert.notEqual(after.Pid, pid);

    const pack = tar.pack();
    pack.entry({ name: 'sdk-file.txt', mode: 0o644 }, 'sdk contents\n');
    pack.finalize();
    const chunks: Buffer[] = [];
    for await (const ch of pack) chunks.push(ch as Buffer);
    await c.putArchive(Buffer.concat(chunks), { path: '/tmp' });
    const got = await c.getArchive({ path: '/tmp/sdk-file.txt' });
    const back: Buffer[] = [];
    for await (const ch of got) back.push(ch as Buffer);
    assert.deepEqual(await tarNames(Buffer.concat(back)), ['sdk-file.txt']);
    await c.stop();
    assert.equal((await c.inspect()).State.ExitCode, 0);
    await c.remove();

    const r = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'echo attempt; exit 9'], HostConfig: { NetworkMode: 'none', RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 1 } } });
    await r.start();
    await until('on-failure:1 to give up', async () => {
      const s = (await r.inspect()) as { State: { Status: string; ExitCode: number }; RestartCount: number };
      const logs = demux((await r.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer);
      return s.State.Status === 'exited' && s.RestartCount === 1 && s.State.ExitCode === 9 && logs.stdout === 'attempt\nattempt\n';
    });
    await r.remove();
  });
});

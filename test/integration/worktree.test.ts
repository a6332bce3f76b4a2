import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Disposables, tempDir, tmuxSocket, waitFor } from '@shoal/testing';
import { TmuxDriver } from '../../apps/node-agent/src/tmux/index.js';
import { type AutoCommit, AutoCommitter, TaskWorktree } from '../../apps/node-agent/src/worktree/index.js';

const exec = promisify(execFile);
const git = async (cwd: string, ...args: string[]) => (await exec('git', args, { cwd })).stdout;

/** A fake agent: writes a new tracked file and an ignored log every 150 ms until killed. */
const WRITER = 'i=0; while :; do i=$((i+1)); echo "step $i" > "work-$i.txt"; echo noise >> debug.log; mkdir -p build; echo x > build/out.bin; sleep 0.15; done';

const context = { runId: 'run-wt', taskId: 'implement', role: 'Backend-Dev', phaseId: 'build', attempt: 1 };

describe('git worktree per task with auto-commits (real git, real tmux, real processes)', () => {
  const disposables = new Disposables();
  let repo: string;
  let dataDir: string;
  let driver: TmuxDriver;

  beforeAll(async () => {
    const dir = tempDir();
    disposables.add(() => dir.dispose());
    repo = join(dir.path, 'repo');
    dataDir = join(dir.path, 'data');
    await exec('git', ['init', '-q', '-b', 'main', repo]);
    writeFileSync(join(repo, 'README.md'), 'hello\n');
    writeFileSync(join(repo, '.gitignore'), '*.log\nbuild/\n');
    await git(repo, 'add', '-A');
    await git(repo, '-c', 'user.name=Test', '-c', 'user.email=test@localhost', 'commit', '-qm', 'initial');
    const sock = tmuxSocket();
    disposables.add(() => sock.dispose());
    driver = await TmuxDriver.connect({ socketName: sock.name });
    disposables.add(() => driver.close());
  }, 60_000);

  afterAll(() => disposables.disposeAll(), 60_000);

  it('creates worktrees/<run>/<task> on branch shoal/<run>/<task>, and reopens it for a later attempt', async () => {
    const wt = await TaskWorktree.open({ repo, dataDir, runId: 'run-open', taskId: 'tsk' });
    expect(wt.path).toBe(join(dataDir, 'worktrees', 'run-open', 'tsk'));
    expect(wt.branch).toBe('shoal/run-open/tsk');
    expect((await git(wt.path, 'rev-parse', '--abbrev-ref', 'HEAD')).trim()).toBe('shoal/run-open/tsk');
    expect(existsSync(join(wt.path, 'README.md'))).toBe(true);
    writeFileSync(join(wt.path, 'kept.txt'), 'from attempt 1\n');
    const again = await TaskWorktree.open({ repo, dataDir, runId: 'run-open', taskId: 'tsk' });
    expect(again.path).toBe(wt.path);
    expect(existsSync(join(again.path, 'kept.txt'))).toBe(true);
  });

  it('commits only when something changed (no empty commits)', async () => {
    const wt = await TaskWorktree.open({ repo, dataDir, runId: 'run-empty', taskId: 'tsk' });
    const before = (await git(wt.path, 'rev-parse', 'HEAD')).trim();
    expect(await wt.commit({ ...context, kind: 'periodic' })).toBeNull();
    writeFileSync(join(wt.path, 'ignored.log'), 'ignored\n');
    expect(await wt.commit({ ...context, kind: 'periodic' })).toBeNull();
    expect((await git(wt.path, 'rev-parse', 'HEAD')).trim()).toBe(before);
  });

  it('auto-commits a running agent with descriptive messages as Shoal, honours .gitignore, and a kill -9 loses nothing', async () => {
    const wt = await TaskWorktree.open({ repo, dataDir, runId: context.runId, taskId: context.taskId });
    const base = (await git(wt.path, 'rev-parse', 'HEAD')).trim();
    const commits: AutoCommit[] = [];
    const failures: Error[] = [];
    const committer = new AutoCommitter(wt, context, 400, { committed: (c) => commits.push(c), failed: (e) => failures.push(e) });
    await driver.ensureSession('Task-wt');
    const win = await driver.newWindow({ session: 'Task-wt', window: 'Backend-Dev', argv: ['sh', '-c', WRITER], cwd: wt.path });
    disposables.add(() => driver.killWindow(win.windowId).catch(() => undefined));
    committer.start();
    try {
      await waitFor(() => commits.length >= 3, { timeoutMs: 30_000, what: 'three periodic commits' });
    } finally {
      await committer.stopPeriodic();
    }
    const periodicHead = (await git(wt.path, 'rev-parse', 'HEAD')).trim();
    await waitFor(async () => (await git(wt.path, 'status', '--porcelain')).includes('work-'), { timeoutMs: 10_000, what: 'uncommitted work after the last periodic commit' });

    process.kill(win.pid, 'SIGKILL');
    const exit = await driver.waitForExit(win.paneId);
    expect(exit.signal ?? String(exit.exitCode)).toMatch(/KILL|137|9/);
    const final = await committer.finish(`killed by ${exit.signal ?? 'SIGKILL'}`);

    expect(failures).toEqual([]);
    expect(final).not.toBeNull();
    expect(final!.subject).toMatch(/^shoal: final commit of implement \(Backend-Dev, phase build\): \d+ files? changed$/);
    expect((await git(wt.path, 'status', '--porcelain')).trim()).toBe('');
    expect((await git(wt.path, 'rev-list', '--count', `${periodicHead}..HEAD`)).trim()).toBe('1');

    const shas = (await git(wt.path, 'rev-list', `${base}..HEAD`)).trim().split('\n');
    expect(commits.at(-1)).toEqual(final);
    expect(shas).toEqual(commits.map((c) => c.sha).reverse());
    for (const sha of shas) {
      const files = (await git(wt.path, 'show', '--name-only', '--format=', sha)).trim().split('\n').filter(Boolean);
      expect(files.length).toBeGreaterThan(0);
      expect(files.some((f) => f.endsWith('.log') || f.startsWith('build/'))).toBe(false);
      const author = (await git(wt.path, 'show', '-s', '--format=%an <%ae>', sha)).trim();
      expect(author).toBe('Shoal <shoal@localhost>');
      const body = await git(wt.path, 'show', '-s', '--format=%B', sha);
      expect(body).toMatch(/^shoal: (auto-commit|final commit) of implement \(Backend-Dev, phase build\)/);
      for (const line of ['Run:     run-wt', 'Task:    implement', 'Role:    Backend-Dev', 'Phase:   build', 'Attempt: 1', 'Files changed:']) expect(body).toContain(line);
      for (const f of files) expect(body).toContain(f);
    }
    const last = await git(wt.path, 'show', '-s', '--format=%B', 'HEAD');
    expect(last).toContain('Ended:   killed by');
    const tracked = await git(wt.path, 'ls-files');
    const written = (await exec('sh', ['-c', 'ls work-*.txt'], { cwd: wt.path })).stdout.trim().split('\n');
    for (const f of written) expect(tracked).toContain(f);
    expect(await git(repo, 'branch', '--list', 'shoal/run-wt/implement')).toContain('shoal/run-wt/implement');
  }, 90_000);
});

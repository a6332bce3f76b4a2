import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError } from '@shoal/protocol';
import { tempDir, tmuxSocket, waitFor, type TempDir, type TmuxSocket } from '@shoal/testing';
import { TmuxCommandError, TmuxDriver, type PaneExit, type TmuxRunList } from '../../apps/node-agent/src/tmux/index.js';

/** Writes its argv, cwd and $PROBE_ENV as JSON to $PROBE_OUT. */
const PROBE = `require('fs').writeFileSync(process.env.PROBE_OUT, JSON.stringify({ argv: process.argv.slice(1), cwd: process.cwd(), env: process.env.PROBE_ENV ?? null }))`;
/** Appends every stdin line to $READER_OUT (a fake interactive agent). */
const READER = `const fs = require('fs'); require('readline').createInterface({ input: process.stdin }).on('line', (l) => fs.appendFileSync(process.env.READER_OUT, l + '\\n'))`;

describe('TmuxDriver (real tmux, private socket)', () => {
  let sock: TmuxSocket;
  let tmp: TempDir;
  let driver: TmuxDriver;
  let canary: string;
  const session = 'Task-frontend';

  /** Every injection string touches $SHOAL_TEST_CANARY if any shell or tmux expansion runs it. */
  const hostile = () => [
    '; touch "$SHOAL_TEST_CANARY"',
    '$(touch "$SHOAL_TEST_CANARY")',
    '`touch "$SHOAL_TEST_CANARY"`',
    '#(touch "$SHOAL_TEST_CANARY")',
    '#{pane_id}',
    '"$HOME"',
    '~',
    "'",
    "it's \"quoted\"",
    '\x1b[31mred\x1b[0m',
    'C-c',
    '',
    '--',
    '-e',
    '\\;',
    '{',
    '%1',
    'a\rb\tc',
    'é😀',
  ];

  beforeAll(async () => {
    sock = tmuxSocket();
    tmp = tempDir();
    canary = join(tmp.path, 'CANARY');
    process.env.SHOAL_TEST_CANARY = canary;
    process.env.SHOAL_JOIN_TOKEN = 'shoaljoin_must-not-leak';
    process.env.SHOAL_TOKEN = 'shoal_admin_must-not-leak';
    driver = await TmuxDriver.connect({ socketName: sock.name });
    await driver.ensureSession(session);
  });

  afterAll(async () => {
    await driver?.close().catch(() => undefined);
    await sock?.dispose();
    await tmp?.dispose();
    delete process.env.SHOAL_TEST_CANARY;
    delete process.env.SHOAL_JOIN_TOKEN;
    delete process.env.SHOAL_TOKEN;
  });

  afterEach(() => {
    expect(existsSync(canary)).toBe(false);
  });

  it("agents inherit the node-agent's environment except its secrets (join and API tokens)", async () => {
    const out = join(tmp.path, 'env-seen');
    await driver.newWindow({ session, window: 'Env-Probe', argv: ['sh', '-c', 'printf "%s|%s|%s" "${SHOAL_JOIN_TOKEN-unset}" "${SHOAL_TOKEN-unset}" "${SHOAL_TEST_CANARY-unset}" > "$1"', 'sh', out] });
    const seen = await waitFor(() => existsSync(out) && readFileSync(out, 'utf8'), { timeoutMs: 20_000, what: 'the probe to write what it saw' });
    expect(seen).toBe(`unset|unset|${canary}`);
  });

  it('creates Task-<team> once and a window per role; a clashing name is kept as asked', async () => {
    const session = 'Task-roles';
    expect(await Promise.all([driver.ensureSession(session), driver.ensureSession(session)])).toEqual([true, false]);
    expect(await driver.ensureSession(session)).toBe(false);
    const [dev, review, again] = [
      await driver.newWindow({ session, window: 'Frontend-Dev', argv: ['sleep', '60'] }),
      await driver.newWindow({ session, window: 'Frontend-Review', argv: ['sleep', '60'] }),
      await driver.newWindow({ session, window: 'Frontend-Dev', argv: ['sleep', '60'] }),
    ];
    expect([dev.windowName, review.windowName, again.windowName]).toEqual(['Frontend-Dev', 'Frontend-Review', 'Frontend-Dev']);
    const windows = await driver.listWindows(session);
    expect(windows.map((w) => [w.name, w.paneId, w.pid, w.dead])).toEqual([
      ['Frontend-Dev', dev.paneId, dev.pid, false],
      ['Frontend-Review', review.paneId, review.pid, false],
      ['Frontend-Dev', again.paneId, again.pid, false],
    ]);
    expect((await driver.listWindows(session, { lobby: true })).map((w) => [w.name, w.lobby])).toEqual([
      ['lobby', true],
      ['Frontend-Dev', false],
      ['Frontend-Review', false],
      ['Frontend-Dev', false],
    ]);
    expect((await driver.listSessions()).map((s) => s.name).sort()).toEqual(['Task-frontend', session]);
    expect(await sock.sessions()).toContain('__shoal');
    for (const w of [dev, review, again]) expect(await driver.killWindow(w.windowId)).toBe(true);
    expect(await driver.killWindow(dev.windowId)).toBe(false);
    expect(await driver.listWindows(session)).toEqual([]);
    expect(await driver.killSession(session)).toBe(true);
    expect(await driver.killSession(session)).toBe(false);
    expect(await driver.listWindows('Task-nobody')).toEqual([]);
  });

  it('detects exit codes 0 and 3, emits pane-exited, and keeps the dead window readable', async () => {
    const events: Array<[string, PaneExit]> = [];
    const onExit = (paneId: string, exit: PaneExit) => events.push([paneId, exit]);
    driver.on('pane-exited', onExit);
    try {
      const ok = await driver.newWindow({ session, window: 'ok', argv: ['true', 'ignored'] });
      const three = await driver.newWindow({ session, window: 'three', argv: ['sh', '-c', 'exit 3'] });
      expect(await driver.waitForExit(ok.paneId)).toEqual({ exitCode: 0 });
      expect(await driver.waitForExit(three.paneId)).toEqual({ exitCode: 3 });
      expect(await driver.waitForExit(three.paneId)).toEqual({ exitCode: 3 });
      await waitFor(() => events.length >= 2, { what: 'pane-exited events' });
      expect(events).toEqual(expect.arrayContaining([[ok.paneId, { exitCode: 0 }], [three.paneId, { exitCode: 3 }]]));
      const dead = (await driver.listWindows(session)).find((w) => w.paneId === three.paneId);
      expect(dead).toMatchObject({ dead: true, exitCode: 3 });
    } finally {
      driver.off('pane-exited', onExit);
    }
  });

  it('reports the signal of a killed process', async () => {
    const victim = await driver.newWindow({ session, window: 'victim', argv: ['sleep', '60'] });
    const exit = driver.waitForExit(victim.paneId);
    process.kill(victim.pid, 'SIGKILL');
    expect(await exit).toEqual({ exitCode: null, signal: 'SIGKILL' });
    const term = await driver.newWindow({ session, window: 'victim', argv: ['sleep', '60'], logFile: join(tmp.path, 'term.log') });
    process.kill(term.pid, 'SIGTERM');
    expect(await driver.waitForExit(term.paneId)).toEqual({ exitCode: null, signal: 'SIGTERM' });
  });

  it('creates a missing session on the first window, also under concurrent starts', async () => {
    const fresh = 'Task-fresh';
    const wins = await Promise.all(['A', 'B', 'C'].map((w) => driver.newWindow({ session: fresh, window: w, argv: ['sleep', '60'] })));
    expect((await driver.listWindows(fresh)).map((w) => w.paneId).sort()).toEqual(wins.map((w) => w.paneId).sort());
    expect(await driver.killSession(fresh)).toBe(true);
  });

  it('a window started while another task creates its session joins that session (no "can\'t find session")', async () => {
    // starts spread over the moment the session appears: some find it missing, some find it just created
    for (let round = 0; round < 6; round++) {
      const fresh = `Task-race${round}`;
      const wins = await Promise.all(
        Array.from({ length: 12 }, (_, i) => new Promise<void>((r) => setTimeout(r, (i % 6) * 3)).then(() => driver.newWindow({ session: fresh, window: `w${i}`, argv: ['sleep', '60'] }))),
      );
      expect((await driver.listWindows(fresh)).map((w) => w.paneId).sort()).toEqual(wins.map((w) => w.paneId).sort());
      expect(await driver.killSession(fresh)).toBe(true);
    }
  });

  it('logs every window of a burst from its first byte (pipe-pane in the same command list)', async () => {
    const dir = join(tmp.path, 'burst');
    mkdirSync(dir);
    const wins = await Promise.all(
      Array.from({ length: 30 }, (_, i) => driver.newWindow({ session, window: `burst-${i}`, argv: ['printf', `first-${i}\\n`], logFile: join(dir, `${i}.log`) })),
    );
    for (const w of wins) expect(await driver.waitForExit(w.paneId)).toEqual({ exitCode: 0 });
    for (let i = 0; i < wins.length; i++) {
      const log = join(dir, `${i}.log`);
      await waitFor(() => existsSync(log) && readFileSync(log, 'utf8').length > 0, { what: `log ${i}` });
      expect(readFileSync(log, 'utf8')).toBe(`first-${i}\r\n`);
    }
    for (const w of wins) await driver.killWindow(w.windowId);
  });

  it('runs a command list in one go; a failing command stops the list and reports what ran', async () => {
    const client = (driver as unknown as { client: { runList: TmuxRunList } }).client;
    expect(await client.runList([{ verb: 'display-message', args: ['-p', 'one'] }, { verb: 'display-message', args: ['-p', 'two; three'] }])).toEqual([['one'], ['two; three']]);
    const failed = await client
      .runList([{ verb: 'display-message', args: ['-p', 'ran'] }, { verb: 'kill-window', args: ['-t', '@999999'] }, { verb: 'display-message', args: ['-p', 'skipped'] }])
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(TmuxCommandError);
    expect(failed).toMatchObject({ verb: 'kill-window', completed: [['ran']] });
    expect(await driver.run('display-message', ['-p', 'still in step'])).toEqual(['still in step']);
  });

  it('pipes output from the first byte into a log file whose path has spaces, quotes and expansions', async () => {
    const dir = join(tmp.path, "log dir 'q' \"dq\" $(touch \"$SHOAL_TEST_CANARY\") #(touch \"$SHOAL_TEST_CANARY\") #{pane_id}");
    mkdirSync(dir);
    const logFile = join(dir, 'it\'s `touch "$SHOAL_TEST_CANARY"`; echo.log');
    const win = await driver.newWindow({ session, window: 'echo', argv: ['echo', 'hi'], logFile });
    expect(await driver.waitForExit(win.paneId)).toEqual({ exitCode: 0 });
    await waitFor(() => existsSync(logFile) && readFileSync(logFile, 'utf8').includes('hi'), { what: 'hi in the log file' });
    expect(readFileSync(logFile, 'utf8')).toBe('hi\r\n');
    expect(await driver.capturePane(win.paneId, { lines: 100 })).toMatch(/^hi$/m);
  });

  it.each([
    ['without a log file', false],
    ['with a log file (pipe-pane in the same command list)', true],
  ])('passes hostile argv, env, cwd and window names literally %s', async (_label, withLog) => {
    const out = join(tmp.path, `probe-${withLog}.json`);
    const cwd = join(tmp.path, `cwd #(touch "$SHOAL_TEST_CANARY") #{pane_id} $(x) '${withLog}`);
    mkdirSync(cwd);
    const args = hostile();
    const name = `n #(touch "$SHOAL_TEST_CANARY") #{pane_id} ${withLog}`;
    const win = await driver.newWindow({
      session,
      window: name,
      argv: [process.execPath, '-e', PROBE, ...args],
      cwd,
      env: { PROBE_OUT: out, PROBE_ENV: '$(touch "$SHOAL_TEST_CANARY") #{pane_id} `x` \'' },
      logFile: withLog ? join(tmp.path, 'probe.log') : undefined,
    });
    expect(await driver.waitForExit(win.paneId)).toEqual({ exitCode: 0 });
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({ argv: args, cwd, env: '$(touch "$SHOAL_TEST_CANARY") #{pane_id} `x` \'' });
    expect((await driver.listWindows(session)).find((w) => w.paneId === win.paneId)?.name).toBe(name);
  });

  it('runs a one-word argv without a shell', async () => {
    const win = await driver.newWindow({ session, window: 'one', argv: ['touch "$SHOAL_TEST_CANARY"; true'] });
    expect(await driver.waitForExit(win.paneId)).toEqual({ exitCode: 127 });
  });

  it('rejects what tmux cannot carry, before creating anything', async () => {
    const before = (await driver.listWindows(session)).length;
    await expect(driver.newWindow({ session, window: 'bad', argv: ['echo', 'a\nb'] })).rejects.toThrow(ValidationError);
    await expect(driver.newWindow({ session, window: 'bad', argv: ['echo', 'a\0b'] })).rejects.toThrow(/NUL/);
    await expect(driver.newWindow({ session, window: 'bad', argv: ['echo'], env: { 'A;B': 'x' } })).rejects.toThrow(ValidationError);
    await expect(driver.newWindow({ session, window: 'bad', argv: ['echo'], cwd: join(tmp.path, 'missing') })).rejects.toThrow(/not an existing directory/);
    await expect(driver.newWindow({ session: 'Task-x:0', window: 'bad', argv: ['echo'] })).rejects.toThrow(ValidationError);
    await expect(driver.sendText('%0', 'two\nlines')).rejects.toThrow(/newline/);
    expect((await driver.listWindows(session)).length).toBe(before);
  });

  it('types 20 lines into an interactive reader without losing any, also out of copy-mode', async () => {
    const out = join(tmp.path, 'reader.txt');
    const win = await driver.newWindow({ session, window: 'reader', argv: [process.execPath, '-e', READER], env: { READER_OUT: out } });
    const lines = Array.from({ length: 20 }, (_, i) => `line ${String(i).padStart(2, '0')} $(touch "$SHOAL_TEST_CANARY") #{pane_id} 'q'`);
    await driver.run('copy-mode', ['-t', win.paneId]);
    for (const [i, line] of lines.entries()) {
      if (i === 10) await driver.run('copy-mode', ['-t', win.paneId]);
      const result = await driver.sendText(win.paneId, line);
      expect(result.verified).toBe(true);
    }
    await waitFor(() => existsSync(out) && readFileSync(out, 'utf8').split('\n').length > lines.length, { what: '20 lines in the reader file' });
    expect(readFileSync(out, 'utf8')).toBe(lines.map((l) => `${l}\n`).join(''));
    await driver.run('copy-mode', ['-t', win.paneId]);
    await driver.sendKeys(win.paneId, ['C-c']);
    expect(await driver.waitForExit(win.paneId)).toEqual({ exitCode: null, signal: 'SIGINT' });
  });

  it('serialises concurrent commands: each caller gets its own reply', async () => {
    const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => driver.run('display-message', ['-p', `reply ${i}`])));
    expect(replies).toEqual(Array.from({ length: 50 }, (_, i) => [`reply ${i}`]));
    await expect(driver.run('kill-window', ['-t', '@999999'])).rejects.toThrow(/can't find window/);
    expect(await driver.run('display-message', ['-p', 'still in step'])).toEqual(['still in step']);
  });

  it('reconnects after kill-server from outside and from killServer(); waiters resolve as lost', async () => {
    const reconnects: Array<{ serverRestarted: boolean }> = [];
    driver.on('reconnect', (r) => reconnects.push(r));
    const win = await driver.newWindow({ session, window: 'doomed', argv: ['sleep', '60'] });
    const exit = driver.waitForExit(win.paneId);
    await sock.tmux(['kill-server']);
    expect(await exit).toEqual({ exitCode: null, lost: true });
    expect(await driver.listSessions()).toEqual([]);
    await waitFor(() => reconnects.length === 1, { what: 'reconnect event' });
    expect(reconnects).toEqual([expect.objectContaining({ serverRestarted: true })]);
    expect(await driver.ensureSession(session)).toBe(true);
    const after = await driver.newWindow({ session, window: 'after', argv: ['sh', '-c', 'exit 4'] });
    expect(await driver.waitForExit(after.paneId)).toEqual({ exitCode: 4 });

    const doomed = await driver.newWindow({ session, window: 'doomed', argv: ['sleep', '60'] });
    const lost = driver.waitForExit(doomed.paneId);
    await driver.killServer();
    expect(await lost).toEqual({ exitCode: null, lost: true });
    expect(await sock.sessions()).toEqual([]);
    expect(await driver.ensureSession(session)).toBe(true);
    expect(reconnects).toHaveLength(2);
  });

  it('connects right after a kill-server (a restarted node-agent): the dying server is waited out, 20 times in a row', async () => {
    const other = tmuxSocket();
    try {
      for (let i = 0; i < 20; i++) {
        await other.tmux(['new-session', '-d', '-s', 'doomed', 'sleep', '60']);
        await other.tmux(['kill-server']);
        const next = await TmuxDriver.connect({ socketName: other.name });
        expect(await next.ensureSession(session)).toBe(true);
        await next.close();
      }
    } finally {
      await other.dispose();
    }
  });

  it("reads sessions and windows without a UTF-8 locale (a container's empty environment)", async () => {
    const other = tmuxSocket();
    const saved = { LANG: process.env.LANG, LC_ALL: process.env.LC_ALL, LC_CTYPE: process.env.LC_CTYPE };
    for (const k of Object.keys(saved)) delete process.env[k];
    let next: TmuxDriver | undefined;
    try {
      next = await TmuxDriver.connect({ socketName: other.name }); // its tmux client starts with this environment
      await next.ensureSession('Task-locale');
      await next.newWindow({ session: 'Task-locale', window: 'Locale-Dev', argv: ['sleep', '30'] });
      expect((await next.listSessions()).map((x) => x.name)).toEqual(['Task-locale']);
      expect((await next.listWindows('Task-locale')).map((w) => w.name)).toEqual(['Locale-Dev']);
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v;
      await next?.close();
      await other.dispose();
    }
  });
});

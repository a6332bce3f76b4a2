import { TaskSpec } from './task-spec.js';

/** The smallest valid spec: the required fields only. */
const base = (): Record<string, unknown> => ({ team: 'frontend', role: 'Frontend-Dev', command: ['make'], cpuPercent: 50, memoryMb: 512, priority: 0 });

/** The spec with one field set (or replaced). */
const withField = (field: string, value: unknown) => ({ ...base(), [field]: value });

/** The issues of a refused value as [path, code] pairs (throws when the value is accepted). */
function refusal(value: unknown): [PropertyKey[], string][] {
  const r = TaskSpec.safeParse(value);
  if (r.success) throw new Error(`expected a refusal of ${JSON.stringify(value)}`);
  return r.error.issues.map((i) => [i.path, i.code]);
}

/** The issue messages of a refused value, with their paths. */
function messages(value: unknown): [PropertyKey[], string][] {
  const r = TaskSpec.safeParse(value);
  if (r.success) throw new Error(`expected a refusal of ${JSON.stringify(value)}`);
  return r.error.issues.map((i) => [i.path, i.message]);
}

describe('TaskSpec: whole values', () => {
  it('decodes a spec with every field to exactly the same spec (answers trimmed)', () => {
    const input = {
      team: 'frontend',
      role: 'Frontend-Dev',
      command: ['claude', '--print'],
      cwd: '/work/app',
      env: { A: '1' },
      cpuPercent: 200,
      memoryMb: 768,
      timeoutMs: 90_000,
      priority: -3,
      batch: 'b-1',
      agent: 'claude',
      interactive: true,
      checkinMs: 600_000,
      checkinPrompt: 'status?',
      prompt: 'fix the bug',
      doneWhen: 'idle',
      answers: [{ when: 'trust', choose: '  yes ' }],
      repo: '/work/repo',
      commitEveryMs: 1_800_000,
      onMemoryExceeded: 'restart',
      memoryRestarts: 3,
      restartEveryMs: 3_600_000,
      onStall: 'notify',
      onWaiting: 'checkin',
      onNodeLost: 'wait',
      lostAfterMs: 900_000,
      mcp: { servers: [{ name: 'ctx', transport: 'stdio', command: 'npx', args: ['-y'], env: {} }], shoal: true },
      home: 'scratch',
      secrets: { API_KEY: 'anthropic-key' },
    };
    expect(TaskSpec.parse(input)).toStrictEqual({
      team: 'frontend',
      role: 'Frontend-Dev',
      command: ['claude', '--print'],
      cwd: '/work/app',
      env: { A: '1' },
      cpuPercent: 200,
      memoryMb: 768,
      timeoutMs: 90_000,
      priority: -3,
      batch: 'b-1',
      agent: 'claude',
      interactive: true,
      checkinMs: 600_000,
      checkinPrompt: 'status?',
      prompt: 'fix the bug',
      doneWhen: 'idle',
      answers: [{ when: 'trust', choose: 'yes' }],
      repo: '/work/repo',
      commitEveryMs: 1_800_000,
      onMemoryExceeded: 'restart',
      memoryRestarts: 3,
      restartEveryMs: 3_600_000,
      onStall: 'notify',
      onWaiting: 'checkin',
      onNodeLost: 'wait',
      lostAfterMs: 900_000,
      mcp: { servers: [{ name: 'ctx', transport: 'stdio', command: 'npx', args: ['-y'], env: {} }], shoal: true },
      home: 'scratch',
      secrets: { API_KEY: 'anthropic-key' },
    });
  });

  it('takes the required fields alone and adds nothing (every optional field absent)', () => {
    expect(TaskSpec.parse(base())).toStrictEqual({ team: 'frontend', role: 'Frontend-Dev', command: ['make'], cpuPercent: 50, memoryMb: 512, priority: 0 });
  });

  it('refuses each required field missing, at its own path', () => {
    for (const k of ['team', 'role', 'command', 'cpuPercent', 'memoryMb', 'priority']) {
      const v = base();
      delete v[k];
      expect(refusal(v)).toEqual([[[k], 'invalid_type']]);
    }
  });

  it('is strict: an unknown key is refused, by name', () => {
    const r = TaskSpec.safeParse(withField('cpu', 50));
    expect(r.success).toBe(false);
    expect(r.error?.issues).toEqual([expect.objectContaining({ code: 'unrecognized_keys', keys: ['cpu'], path: [] })]);
  });
});

describe('TaskSpec: team, role, command', () => {
  it('team is an id, role a role, each with its pattern in the message', () => {
    expect(TaskSpec.parse(withField('team', 'a')).team).toBe('a');
    expect(messages(withField('team', 'Frontend'))).toEqual([[['team'], expect.stringContaining('must match ^[a-z0-9][a-z0-9-]{0,62}$')]]);
    expect(TaskSpec.parse(withField('role', 'x_Y-1')).role).toBe('x_Y-1');
    expect(messages(withField('role', 'a.b'))).toEqual([[['role'], expect.stringContaining('must match ^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$')]]);
  });

  it('command: 1 to 256 arguments', () => {
    expect(refusal(withField('command', []))).toEqual([[['command'], 'too_small']]);
    expect(TaskSpec.parse(withField('command', ['a'])).command).toEqual(['a']);
    const most = Array.from({ length: 256 }, (_, i) => `a${i}`);
    expect(TaskSpec.parse(withField('command', most)).command).toEqual(most);
    expect(refusal(withField('command', [...most, 'x']))).toEqual([[['command'], 'too_big']]);
    expect(refusal(withField('command', 'make'))).toEqual([[['command'], 'invalid_type']]);
  });

  it('command: each argument at most 8192 characters (empty allowed)', () => {
    expect(TaskSpec.parse(withField('command', ['x'.repeat(8192), ''])).command).toEqual(['x'.repeat(8192), '']);
    expect(refusal(withField('command', ['make', 'x'.repeat(8193)]))).toEqual([[['command', 1], 'too_big']]);
    expect(refusal(withField('command', [1]))).toEqual([[['command', 0], 'invalid_type']]);
  });
});

describe('TaskSpec: strings with a length bound', () => {
  it('cwd and repo: up to 4096 characters, empty allowed', () => {
    for (const k of ['cwd', 'repo']) {
      expect(TaskSpec.parse(withField(k, ''))[k as 'cwd']).toBe('');
      expect(TaskSpec.parse(withField(k, 'x'.repeat(4096)))[k as 'cwd']).toBe('x'.repeat(4096));
      expect(refusal(withField(k, 'x'.repeat(4097)))).toEqual([[[k], 'too_big']]);
      expect(refusal(withField(k, 1))).toEqual([[[k], 'invalid_type']]);
    }
  });

  it('checkinPrompt and prompt: 1 to 8192 characters', () => {
    for (const k of ['checkinPrompt', 'prompt']) {
      expect(refusal(withField(k, ''))).toEqual([[[k], 'too_small']]);
      expect(TaskSpec.parse(withField(k, 'a'))[k as 'prompt']).toBe('a');
      expect(TaskSpec.parse(withField(k, 'x'.repeat(8192)))[k as 'prompt']).toBe('x'.repeat(8192));
      expect(refusal(withField(k, 'x'.repeat(8193)))).toEqual([[[k], 'too_big']]);
    }
  });

  it('env: string to string', () => {
    expect(TaskSpec.parse(withField('env', {})).env).toStrictEqual({});
    expect(TaskSpec.parse(withField('env', { A: '', B: 'x' })).env).toStrictEqual({ A: '', B: 'x' });
    expect(refusal(withField('env', { A: 1 }))).toEqual([[['env', 'A'], 'invalid_type']]);
  });
});

describe('TaskSpec: numbers', () => {
  it('cpuPercent: a whole number from 1 to 6400', () => {
    expect(TaskSpec.parse(withField('cpuPercent', 1)).cpuPercent).toBe(1);
    expect(TaskSpec.parse(withField('cpuPercent', 6400)).cpuPercent).toBe(6400);
    expect(refusal(withField('cpuPercent', 0))).toEqual([[['cpuPercent'], 'too_small']]);
    expect(refusal(withField('cpuPercent', -1))).toEqual([[['cpuPercent'], 'too_small']]);
    expect(refusal(withField('cpuPercent', 6401))).toEqual([[['cpuPercent'], 'too_big']]);
    expect(refusal(withField('cpuPercent', 1.5))).toEqual([[['cpuPercent'], 'invalid_type']]);
  });

  it('memoryMb: a whole number from 1 to 1048576', () => {
    expect(TaskSpec.parse(withField('memoryMb', 1)).memoryMb).toBe(1);
    expect(TaskSpec.parse(withField('memoryMb', 1_048_576)).memoryMb).toBe(1_048_576);
    expect(refusal(withField('memoryMb', 0))).toEqual([[['memoryMb'], 'too_small']]);
    expect(refusal(withField('memoryMb', 1_048_577))).toEqual([[['memoryMb'], 'too_big']]);
    expect(refusal(withField('memoryMb', 511.5))).toEqual([[['memoryMb'], 'invalid_type']]);
  });

  it('priority: any whole number, negative and zero included', () => {
    for (const p of [-1000, -1, 0, 1, 1000]) expect(TaskSpec.parse(withField('priority', p)).priority).toBe(p);
    expect(refusal(withField('priority', 0.5))).toEqual([[['priority'], 'invalid_type']]);
    expect(refusal(withField('priority', '1'))).toEqual([[['priority'], 'invalid_type']]);
  });

  it('memoryRestarts: a whole number from 0 to 100', () => {
    expect(TaskSpec.parse(withField('memoryRestarts', 0)).memoryRestarts).toBe(0);
    expect(TaskSpec.parse(withField('memoryRestarts', 100)).memoryRestarts).toBe(100);
    expect(refusal(withField('memoryRestarts', -1))).toEqual([[['memoryRestarts'], 'too_small']]);
    expect(refusal(withField('memoryRestarts', 101))).toEqual([[['memoryRestarts'], 'too_big']]);
    expect(refusal(withField('memoryRestarts', 1.5))).toEqual([[['memoryRestarts'], 'invalid_type']]);
  });

  it('the durations in ms are whole and positive: 1 accepted; 0, -1 and 1.5 refused', () => {
    for (const k of ['timeoutMs', 'checkinMs', 'commitEveryMs', 'restartEveryMs', 'lostAfterMs']) {
      expect(TaskSpec.parse(withField(k, 1))[k as 'timeoutMs']).toBe(1);
      expect(TaskSpec.parse(withField(k, 86_400_000))[k as 'timeoutMs']).toBe(86_400_000);
      expect(refusal(withField(k, 0))).toEqual([[[k], 'too_small']]);
      expect(refusal(withField(k, -1))).toEqual([[[k], 'too_small']]);
      expect(refusal(withField(k, 1.5))).toEqual([[[k], 'invalid_type']]);
      expect(refusal(withField(k, '1s'))).toEqual([[[k], 'invalid_type']]);
    }
  });
});

describe('TaskSpec: choices', () => {
  it('agent: each preset, nothing else', () => {
    for (const a of ['claude', 'codex', 'aider', 'gemini', 'qwen', 'opencode', 'shell']) expect(TaskSpec.parse(withField('agent', a)).agent).toBe(a);
    for (const bad of ['Claude', 'bash', '']) expect(refusal(withField('agent', bad))).toEqual([[['agent'], 'invalid_value']]);
  });

  it('doneWhen: exit or idle', () => {
    for (const d of ['exit', 'idle']) expect(TaskSpec.parse(withField('doneWhen', d)).doneWhen).toBe(d);
    expect(refusal(withField('doneWhen', 'idled'))).toEqual([[['doneWhen'], 'invalid_value']]);
  });

  it('onMemoryExceeded: restart, fail or notify', () => {
    for (const p of ['restart', 'fail', 'notify']) expect(TaskSpec.parse(withField('onMemoryExceeded', p)).onMemoryExceeded).toBe(p);
    expect(refusal(withField('onMemoryExceeded', 'kill'))).toEqual([[['onMemoryExceeded'], 'invalid_value']]);
  });

  it('onStall: notify, restart or fail', () => {
    for (const p of ['notify', 'restart', 'fail']) expect(TaskSpec.parse(withField('onStall', p)).onStall).toBe(p);
    expect(refusal(withField('onStall', 'checkin'))).toEqual([[['onStall'], 'invalid_value']]);
  });

  it('onWaiting: notify or checkin', () => {
    for (const p of ['notify', 'checkin']) expect(TaskSpec.parse(withField('onWaiting', p)).onWaiting).toBe(p);
    expect(refusal(withField('onWaiting', 'restart'))).toEqual([[['onWaiting'], 'invalid_value']]);
  });

  it('onNodeLost: wait or replace (optional in a spec)', () => {
    for (const p of ['wait', 'replace']) expect(TaskSpec.parse(withField('onNodeLost', p)).onNodeLost).toBe(p);
    expect(refusal(withField('onNodeLost', 'retry'))).toEqual([[['onNodeLost'], 'invalid_value']]);
  });

  it('interactive: a boolean, false kept', () => {
    expect(TaskSpec.parse(withField('interactive', false)).interactive).toBe(false);
    expect(TaskSpec.parse(withField('interactive', true)).interactive).toBe(true);
    expect(refusal(withField('interactive', 'true'))).toEqual([[['interactive'], 'invalid_type']]);
  });

  it('batch: an id', () => {
    expect(TaskSpec.parse(withField('batch', 'b-1')).batch).toBe('b-1');
    expect(messages(withField('batch', 'B-1'))).toEqual([[['batch'], expect.stringContaining('lower-case letters, digits, dashes')]]);
  });
});

describe('TaskSpec: nested values of other modules', () => {
  it('answers: 1 to 20 declared answers', () => {
    expect(refusal(withField('answers', []))).toEqual([[['answers'], 'too_small']]);
    expect(TaskSpec.parse(withField('answers', [{ when: '/trust/', choose: 2 }])).answers).toStrictEqual([{ when: '/trust/', choose: 2 }]);
    expect(refusal(withField('answers', [{ when: 'trust' }]))).toEqual([[['answers', 0, 'choose'], 'invalid_union']]);
  });

  it('mcp: servers and the shoal flag, strict', () => {
    expect(TaskSpec.parse(withField('mcp', { servers: [], shoal: false })).mcp).toStrictEqual({ servers: [], shoal: false });
    expect(refusal(withField('mcp', { servers: [] }))).toEqual([[['mcp', 'shoal'], 'invalid_type']]);
  });

  it('home: scratch, shared or an absolute path', () => {
    for (const h of ['scratch', 'shared', '/home/agent']) expect(TaskSpec.parse(withField('home', h)).home).toBe(h);
    expect(TaskSpec.safeParse(withField('home', 'relative/dir')).success).toBe(false);
  });

  it('secrets: env name to secret name', () => {
    expect(TaskSpec.parse(withField('secrets', { GH_TOKEN: 'gh' })).secrets).toStrictEqual({ GH_TOKEN: 'gh' });
    expect(refusal(withField('secrets', { HOME: 'x' }))).toEqual([[['secrets', 'HOME'], 'invalid_key']]);
  });
});

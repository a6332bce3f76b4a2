import { decode, encode } from './codec.js';
import { PROTOCOL_VERSION } from './messages.js';
import { AGENT_PRESETS, CHECKIN_DEFAULTS, PRESET_MEMORY_MB } from './plan.js';
import { parsePlanText, validatePlanObject } from './plan-loader.js';
import { topology } from './subjects.js';

const YAML = `
name: agents
teams:
  - name: fe
    checkin: 20m
    checkin_prompt: "Report: done, doing, blocked?"
phases:
  - id: build
    tasks:
      - { id: lead, team: fe, role: Lead, command: [claude], agent: claude }
      - { id: repl, team: fe, role: Repl, command: [python3, -i], interactive: true }
`;

describe('plan: agent presets and check-ins', () => {
  it('loads agent, interactive and the team check-in prompt', () => {
    const r = parsePlanText(YAML);
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect(r.value.teams[0]).toEqual({ name: 'fe', checkin: 20 * 60_000, checkin_prompt: 'Report: done, doing, blocked?' });
    expect(r.value.phases[0]!.tasks.map((t) => [t.agent, t.interactive])).toEqual([
      ['claude', undefined],
      [undefined, true],
    ]);
  });

  it('refuses an unknown preset, a non-boolean interactive and a blank or multi-line prompt', () => {
    const plan = (task: object, team: object = {}) => ({
      name: 'p',
      teams: [{ name: 'fe', ...team }],
      phases: [{ id: 'a', tasks: [{ id: 't', team: 'fe', role: 'R', command: ['x'], ...task }] }],
    });
    const issues = (data: unknown) => {
      const r = validatePlanObject(data);
      return r.ok ? [] : r.issues.map((i) => i.path);
    };
    expect(issues(plan({ agent: 'copilot' }))).toEqual(['phases[0].tasks[0].agent']);
    expect(issues(plan({ interactive: 'yes' }))).toEqual(['phases[0].tasks[0].interactive']);
    expect(issues(plan({}, { checkin_prompt: '   ' }))).toEqual(['teams[0].checkin_prompt']);
    expect(issues(plan({}, { checkin_prompt: 'two\nlines' }))).toEqual(['teams[0].checkin_prompt']);
  });

  it('has a memory default inside the seed band for every preset, and the documented check-in defaults', () => {
    for (const p of AGENT_PRESETS) expect(PRESET_MEMORY_MB[p]).toBeGreaterThanOrEqual(256);
    expect(PRESET_MEMORY_MB).toEqual({ claude: 384, codex: 512, gemini: 512, qwen: 704, opencode: 768, aider: 512, shell: 256 });
    expect(CHECKIN_DEFAULTS.intervalMs).toBe(15 * 60_000);
  });
});

describe('wire: check-ins, send and capture', () => {
  const ref = { runId: 'r-1', taskId: 't1', attempt: 1 };

  it('round-trips a task.checkin and refuses one without its reply', () => {
    const msg = { v: PROTOCOL_VERSION, kind: 'task.checkin', ...ref, nodeId: 'n1', seq: 3, sentAt: 1, capturedAt: 2, state: 'waiting-for-input', verified: true, reply: 'done: x' } as const;
    expect(decode('checkin', encode('checkin', msg))).toEqual({ ok: true, value: msg });
    const { reply: _reply, ...noReply } = msg;
    expect(decode('checkin', new TextEncoder().encode(JSON.stringify(noReply))).ok).toBe(false);
    expect(topology('shoal').checkin('n1', 'r-1', 't1')).toBe('shoal.chk.n1.r-1.t1');
  });

  it('accepts send and capture control requests and replies carrying verified/text', () => {
    const send = { v: PROTOCOL_VERSION, action: 'send', runId: 'r-1', taskId: 't1', text: 'hello' } as const;
    expect(decode('control', encode('control', send))).toEqual({ ok: true, value: send });
    const capture = { v: PROTOCOL_VERSION, action: 'capture', runId: 'r-1', taskId: 't1', lines: 50 } as const;
    expect(decode('control', encode('control', capture)).ok).toBe(true);
    expect(() => encode('control', { ...send, text: '' })).toThrow();
    const reply = { v: PROTOCOL_VERSION, ok: true, message: 'sent', verified: true, text: 'pane' };
    expect(decode('controlReply', encode('controlReply', reply))).toEqual({ ok: true, value: reply });
  });

  it('carries agent, check-in fields and the tmux socket on dispatch and start', () => {
    const dispatched = {
      v: PROTOCOL_VERSION, kind: 'task.dispatched', ...ref, phaseId: 'p', nodeId: 'n1', team: 'fe', role: 'Lead', command: ['claude'],
      cpuPercent: 50, memoryMb: 384, priority: 0, dispatchedAt: 1, agent: 'claude', checkinMs: 900_000, checkinPrompt: CHECKIN_DEFAULTS.prompt,
    } as const;
    expect(decode('work', encode('work', dispatched))).toEqual({ ok: true, value: dispatched });
    expect(() => encode('work', { ...dispatched, agent: 'nope' as 'claude' })).toThrow();
    const started = { v: PROTOCOL_VERSION, kind: 'task.started', ...ref, nodeId: 'n1', startedAt: 1, session: 'Task-fe', window: 'Lead', tmuxSocket: 'shoal-n1' } as const;
    expect(decode('status', encode('status', started))).toEqual({ ok: true, value: started });
  });
});

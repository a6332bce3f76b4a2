import { MAX_LISTED_FILES, commitMessage, parseNameStatus } from './commit-message.js';

const ctx = { runId: 'r1', taskId: 'api', role: 'Backend-Dev', phaseId: 'build', attempt: 2 };

describe('parseNameStatus', () => {
  it('reads -z output including renames and paths with spaces', () => {
    expect(parseNameStatus('A\0new file.txt\0M\0src/a.ts\0R100\0old.ts\0new.ts\0D\0gone\0')).toEqual([
      { status: 'A', path: 'new file.txt' },
      { status: 'M', path: 'src/a.ts' },
      { status: 'R', path: 'old.ts -> new.ts' },
      { status: 'D', path: 'gone' },
    ]);
    expect(parseNameStatus('')).toEqual([]);
  });
});

describe('commitMessage', () => {
  it('names task, role, phase and file count in the subject; run, attempt and files in the body', () => {
    const m = commitMessage({ ...ctx, kind: 'periodic' }, [{ status: 'A', path: 'x.ts' }]);
    expect(m.subject).toBe('shoal: auto-commit of api (Backend-Dev, phase build): 1 file changed');
    expect(m.body).toContain('Run:     r1');
    expect(m.body).toContain('Attempt: 2');
    expect(m.body).toMatch(/added\s+x\.ts/);
    expect(m.body).not.toContain('Ended:');
  });

  it('marks final commits with how the agent ended and bounds the file list', () => {
    const files = Array.from({ length: MAX_LISTED_FILES + 5 }, (_, i) => ({ status: 'M', path: `f${i}` }));
    const m = commitMessage({ ...ctx, kind: 'final', ending: 'cancelled' }, files);
    expect(m.subject).toBe(`shoal: final commit of api (Backend-Dev, phase build): ${MAX_LISTED_FILES + 5} files changed`);
    expect(m.body).toContain('Ended:   cancelled');
    expect(m.body).toContain('... and 5 more');
    expect(m.body.split('\n').filter((l) => l.includes('modified')).length).toBe(MAX_LISTED_FILES);
  });
});

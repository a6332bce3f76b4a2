import { freeName } from './window-keeper.js';

describe('freeName', () => {
  it('keeps a free name and numbers a taken one from -2', () => {
    expect(freeName(new Set(['Other']), 'Dev')).toBe('Dev');
    expect(freeName(new Set(['Dev']), 'Dev')).toBe('Dev-2');
    expect(freeName(new Set(['Dev', 'Dev-2', 'Dev-4']), 'Dev')).toBe('Dev-3');
  });
});

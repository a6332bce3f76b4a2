export { DEFAULT_PANE_SIZE, type PaneSize, TerminalRenderer, renderTerminal } from './terminal-renderer.js';

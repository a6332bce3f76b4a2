import { spawn } from 'node:child_process';

/**
 * The program that opens a URL on this desktop, or undefined on a host without one: `open` on
 * macOS; on Linux and the BSDs `xdg-open` when a display is set (`DISPLAY` or `WAYLAND_DISPLAY`).
 */
export function desktopOpener(env: Record<string, string | undefined>, platform: NodeJS.Platform): string | undefined {
  if (platform === 'darwin') return 'open';
  if (platform === 'win32') return undefined;
  return env.DISPLAY || env.WAYLAND_DISPLAY ? 'xdg-open' : undefined;
}

/**
 * Opens `url` in the desktop's browser (argv, no shell; detached, output dropped). Resolves to
 * what happened, for one line of output: never throws.
 */
export function openUrl(url: string, env = process.env, platform = process.platform): Promise<string> {
  const opener = desktopOpener(env, platform);
  if (!opener) return Promise.resolve('no desktop here (no DISPLAY): open the URL in a browser yourself');
  return new Promise((resolve) => {
    const child = spawn(opener, [url], { detached: true, stdio: 'ignore' });
    child.once('error', (e) => resolve(`could not run ${opener}: ${e.message}`));
    child.once('spawn', () => {
      child.unref();
      resolve(`opened with ${opener}`);
    });
  });
}

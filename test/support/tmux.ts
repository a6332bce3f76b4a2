import { type Disposables, tempDir, tmuxSocket } from '@shoal/testing';
import { TmuxDriver } from '../../apps/node-agent/src/tmux/index.js';

/** A temp dir and a tmux driver on a private socket, each disposed with `disposables`. */
export async function tmuxWorkspace(disposables: Disposables): Promise<{ dir: string; driver: TmuxDriver }> {
  const dir = tempDir();
  disposables.add(() => dir.dispose());
  const sock = tmuxSocket();
  disposables.add(() => sock.dispose());
  const driver = await TmuxDriver.connect({ socketName: sock.name });
  disposables.add(() => driver.close());
  return { dir: dir.path, driver };
}

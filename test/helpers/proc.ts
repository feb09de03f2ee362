// Process helpers for lock tests: a pid that certainly belongs to no running process.
import { spawn } from 'node:child_process';

/** Spawn `node -e 0`, wait for it to exit, and return its (now dead) pid. */
export function deadPid(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', () => resolve(child.pid!));
  });
}

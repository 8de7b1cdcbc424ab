import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';

const SETPRIV = '/usr/bin/setpriv';

/**
 * Spawns a child that the kernel kills if this process dies, even by SIGKILL (setpriv sets the parent
 * death signal, then execs the command, so the pid and signals are the command's own). Where setpriv is
 * missing, the child is only as safe as the caller's cleanup.
 */
export function spawnBoundChild(
  command: string,
  args: readonly string[],
  options: SpawnOptions,
): ChildProcess {
  if (process.platform === 'linux' && existsSync(SETPRIV)) {
    return spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', command, ...args], options);
  }
  return spawn(command, args, options);
}

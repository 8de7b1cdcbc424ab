/**
 * True while a process with this pid exists (signal 0 checks existence and permission, sends nothing).
 * For "nothing left behind" assertions; pair it with `waitFor`, since exit is not instantaneous.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else; only ESRCH means there is no such process.
    return error instanceof Error && 'code' in error && error.code === 'EPERM';
  }
}

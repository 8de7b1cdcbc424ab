import { spawn } from 'node:child_process';
import { once } from 'node:events';
import test from 'ava';
import { isProcessAlive } from '../../src/index.ts';

test('a running process is alive, and not once it has exited and been reaped', async (t) => {
  t.true(isProcessAlive(process.pid));
  const child = spawn(process.execPath, ['--eval', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  const { pid } = child;
  if (pid === undefined) return t.fail('the child has no pid');
  t.teardown(() => child.kill('SIGKILL'));
  t.true(isProcessAlive(pid));
  child.kill('SIGKILL');
  await once(child, 'exit'); // the exit event comes after Node has reaped it: the pid is free
  t.false(isProcessAlive(pid));
});

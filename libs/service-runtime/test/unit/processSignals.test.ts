// The early signal handlers in-process (process.emit runs the listeners without a real signal):
// unclaimed they end the process with 0, claimed they hand over, and they step aside for a process
// that handles its own signals.
import test from 'ava';
import { isClientInputError } from '../../src/crashPolicy.ts';
import {
  claimSignals,
  installEarlySignalHandlers,
  loadPreload,
  setSignalExitForTests,
} from '../../src/signals/processSignals.ts';

const exits: number[] = [];
setSignalExitForTests((code) => void exits.push(code));
installEarlySignalHandlers();
const stderrWrite = process.stderr.write.bind(process.stderr);

test.serial('installing twice adds one listener per signal', (t) => {
  const before = process.listenerCount('SIGTERM');
  installEarlySignalHandlers();
  t.is(process.listenerCount('SIGTERM'), before);
});

test.serial('unclaimed: a signal during start-up exits 0 at once', (t) => {
  exits.length = 0;
  process.stderr.write = () => true; // the one-line notice
  try {
    process.emit('SIGTERM', 'SIGTERM');
    process.emit('SIGINT', 'SIGINT');
  } finally {
    process.stderr.write = stderrWrite;
  }
  t.deepEqual(exits, [0, 0]);
});

test.serial(
  "a listener added while the telemetry preload loads is not mistaken for the service's own",
  async (t) => {
    exits.length = 0;
    const fallback = () => {};
    await loadPreload(async () => void process.on('SIGTERM', fallback));
    process.stderr.write = () => true;
    try {
      process.emit('SIGTERM', 'SIGTERM');
    } finally {
      process.stderr.write = stderrWrite;
      process.off('SIGTERM', fallback);
    }
    t.deepEqual(exits, [0]);
  },
);

test.serial('claimed: the bootstrap gets every signal, and the claim can be given back', (t) => {
  exits.length = 0;
  const received: string[] = [];
  const release = claimSignals((signal) => void received.push(signal));
  process.emit('SIGTERM', 'SIGTERM');
  process.emit('SIGINT', 'SIGINT');
  release();
  t.deepEqual(received, ['SIGTERM', 'SIGINT']);
  t.deepEqual(exits, []);
});

test.serial('a process with its own handler (a CLI, the dev supervisor) keeps it: no exit', (t) => {
  exits.length = 0;
  let handled = 0;
  const own = () => void (handled += 1);
  process.on('SIGINT', own);
  process.emit('SIGINT', 'SIGINT');
  process.off('SIGINT', own);
  t.is(handled, 1);
  t.deepEqual(exits, []);
});

test('client-caused errors are told apart from bugs, without trusting the object', (t) => {
  for (const code of ['ECONNRESET', 'EPIPE', 'HPE_INVALID_CHUNK_SIZE', 'HPE_HEADER_OVERFLOW']) {
    t.true(isClientInputError(Object.assign(new Error(code), { code })), code);
  }
  t.false(isClientInputError(new TypeError('undefined is not a function')));
  t.false(isClientInputError(Object.assign(new Error('x'), { code: 'ERR_INVALID_ARG_TYPE' })));
  t.false(isClientInputError('ECONNRESET'));
  const hostile = Object.defineProperty({}, 'code', {
    get() {
      throw new Error('no');
    },
  });
  t.false(isClientInputError(hostile));
});

// How `npm start` (scripts/start.ts) runs the sms-sender locally: the local outbox provider, its
// page on a stable port when free, and the page's URL printed once everything is up.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, isPortFree, type DevContext, type DevService } from '@platform/dev-process';
import { OUTBOX_URL_FILE } from './providers/local/outboxPage.ts';

const PREFERRED_OUTBOX_PORT = 8025;
let outboxPort: number | undefined;
let outboxDir: string | undefined;

export const devService: DevService = {
  replicas: 1,

  async env(ctx: DevContext) {
    outboxPort =
      Number(ctx.env.OUTBOX_PORT ?? 0) ||
      ((await isPortFree(PREFERRED_OUTBOX_PORT)) ? PREFERRED_OUTBOX_PORT : await freePort());
    outboxDir = ctx.env.OUTBOX_DIR ?? join(ctx.dataDir, 'sms-outbox');
    // A URL left by an earlier run must not be printed as this run's.
    await rm(join(outboxDir, OUTBOX_URL_FILE), { force: true });
    // A variable set in the shell wins (e.g. SMS_LOCAL_FAILURE_RATE=0.3 npm start for a demo).
    return {
      SMS_PROVIDER: ctx.env.SMS_PROVIDER ?? 'local',
      OUTBOX_DIR: outboxDir,
      OUTBOX_PORT: String(outboxPort),
    };
  },

  async afterStart(ctx: DevContext) {
    if (outboxPort === undefined) return;
    const dir = outboxDir ?? ctx.dataDir;
    // The port asked for can be taken between the check above and the service's listen (another
    // run starting at the same moment); the service then falls back to a free port and writes the
    // URL it really bound. Ready services have written it; the asked-for URL is the fallback.
    const bound = await readFile(join(dir, OUTBOX_URL_FILE), 'utf8').then(
      (text) => text.trim(),
      () => '',
    );
    const url = bound || `http://127.0.0.1:${outboxPort}/`;
    ctx.print(`SMS outbox page: ${url}  (JSON: /messages.json; file ${join(dir, 'outbox.jsonl')})`);
    ctx.print(
      'Local provider test numbers: …9990 invalid, …9991 opted out, …9992 fails twice then sends, …9993 always throttled, …9994 slow, …9995 undelivered. Every other send gets a delivered receipt after SMS_LOCAL_RECEIPT_DELAY_MS (1 s). SMS_LOCAL_FAILURE_RATE=0.3 for random failures.',
    );
  },
};

import type { Message } from '@aws-sdk/client-sqs';
import { PermanentError } from '@platform/errors';
import { attentionIndexKeys } from '@platform/image-jobs';
import type { ConsumerLogger, LeaseLedger, PoisonMessage } from '@platform/reliable-consumer';

/** The contracts' entityId rule (common.v1.schema.json): only such a string can be a ledger key. */
const JOB_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/**
 * The job id of a message that failed its contract, when its body still names one: JSON with a
 * string `jobId` of the contract's shape. Anything else (not JSON, no id, a hostile id) is undefined.
 */
export function readableJobId(message: Pick<Message, 'Body'>): string | undefined {
  try {
    const body: unknown = JSON.parse(message.Body ?? '');
    const jobId = typeof body === 'object' && body !== null ? (body as { jobId?: unknown }).jobId : undefined;
    return typeof jobId === 'string' && JOB_ID_PATTERN.test(jobId) ? jobId : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The consumer's `onPoison` for image jobs: a message dead-lettered for its contract (schema
 * violation, bad version, ...) whose job id can be read gets a DEAD_LETTERED record with the reason,
 * so `jobs status` and `jobs list --status DEAD_LETTERED` tell its producer why (the DLQ keeps the
 * message). A record in another state (QUEUED by the producer library, running, done) is left as
 * it is unless the ledger's own rule allows the move.
 */
export function recordContractPoison(deps: {
  ledger: Pick<LeaseLedger, 'markDeadLettered'>;
  logger: ConsumerLogger;
  clock: () => number;
}): (poison: PoisonMessage) => Promise<void> {
  return async ({ message, reason, detail }) => {
    const jobId = readableJobId(message);
    if (jobId === undefined) return;
    const marked = await deps.ledger.markDeadLettered(jobId, {
      error: new PermanentError(reason, detail),
      retryable: false,
      set: attentionIndexKeys('DEAD_LETTERED', deps.clock(), jobId),
    });
    deps.logger.info(
      { jobId, reason, recorded: marked.kind === 'recorded', status: marked.record?.status },
      marked.kind === 'recorded'
        ? 'contract poison recorded DEAD_LETTERED'
        : 'contract poison not recorded: the job id has a record in another state',
    );
  };
}

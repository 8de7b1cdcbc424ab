import type { ImageJobRequested } from '@platform/contracts';
import type { Logger } from '@platform/telemetry';
import { shareCardJob, shareCardJobId } from '../domain/shareCard.ts';
import type { MetricsPort } from '../service/ports.ts';

/** Submits one image job (`submitImageJob` of @platform/image-jobs, bound to its queue and table). */
export type SubmitImageJob = (job: ImageJobRequested) => Promise<unknown>;

export interface ShareCardRequester {
  /**
   * Asks image-worker for the invitation's card in the background: returns at once and never
   * throws, so an image-job outage can neither fail nor delay the invitation's 201. A failure is a
   * warning and a `InvitationsShareCardFailed` count; the landing page keeps the static card.
   */
  request(invitation: { invitationId: string; inviterName: string }): void;
  /** Waits for the submits in flight (shutdown). */
  drain(): Promise<void>;
}

export function createShareCardRequester(deps: {
  submit: SubmitImageJob;
  logger: Logger;
  metrics: MetricsPort;
  clock: () => number;
}): ShareCardRequester {
  const inFlight = new Set<Promise<void>>();

  async function submit(invitation: { invitationId: string; inviterName: string }): Promise<void> {
    const jobId = shareCardJobId(invitation.invitationId);
    if (jobId === undefined) {
      deps.logger.warn(
        { invitationId: invitation.invitationId },
        'share card skipped: id too long for a job id',
      );
      return;
    }
    try {
      await deps.submit(shareCardJob(invitation, jobId, new Date(deps.clock()).toISOString()));
    } catch (error) {
      deps.metrics.count('InvitationsShareCardFailed');
      deps.logger.warn(
        { err: error, invitationId: invitation.invitationId, jobId },
        'share card not requested; the landing page shows the static card',
      );
    }
  }

  return {
    request(invitation) {
      const pending = submit(invitation).finally(() => inFlight.delete(pending));
      inFlight.add(pending);
    },
    async drain() {
      await Promise.all(inFlight);
    },
  };
}

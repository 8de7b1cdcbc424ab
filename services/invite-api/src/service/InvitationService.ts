import { createHash } from 'node:crypto';
import { encodeMessage } from '@platform/contracts';
import type { Logger } from '@platform/telemetry';
import { AppError, retryLaterError } from '../errors.ts';
import type { Caller, Invitation } from '../domain/invitation.ts';
import type { InviteCodeGenerator } from '../domain/inviteCode.ts';
import type { OutboxMessage } from '../domain/outboxMessage.ts';
import { checkPhoneNumber, type PhonePolicy } from '../domain/phone.ts';
import { displayName, referralUrl, renderInvitationSms } from '../domain/smsText.ts';
import type { OutboxPublisher } from '../outbox/OutboxPublisher.ts';
import type { CreateInvitationOutcome, InvitationLimits } from '../store/createInvitationTransaction.ts';
import type { InvitationStore } from '../store/InvitationStore.ts';
import { tagInvitationSpan } from '../telemetry/invitationSpan.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import type { MetricsPort } from './ports.ts';
import { invitationView, type InvitationCreatedBody, type InvitationView } from './views.ts';

export interface InvitationServiceDeps {
  store: InvitationStore;
  publisher: OutboxPublisher;
  metrics: MetricsPort;
  logger: Logger;
  /** Epoch ms. */
  clock: () => number;
  newInvitationId: () => string;
  newInviteCode: InviteCodeGenerator;
  /** [0, 1): jitter of the contention backoff. */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface InvitationServiceOptions {
  limits: InvitationLimits;
  phonePolicy: PhonePolicy;
  /** e.g. https://app.example: referral URLs are `<base>/invite/<code>`. */
  referralBaseUrl: string;
  /** How long the relay leaves a fresh outbox item to the request's own send. */
  outboxGraceMs: number;
  /** How long a 201 can be replayed for the same Idempotency-Key. */
  idempotencyRetentionMs: number;
  /** Transaction attempts on code collisions and write contention before answering 503. */
  maxWriteAttempts: number;
}

export interface CreateRequest {
  phoneNumber: string;
  idempotencyKey?: string;
  /** Ties the SMS request to this HTTP request in logs (correlationId of sms.requested). */
  requestId?: string;
}

export interface CreateResult {
  body: InvitationCreatedBody;
  /** True when the body is a stored response to an earlier request with the same Idempotency-Key. */
  replayed: boolean;
}

export interface ListResult {
  invitations: InvitationView[];
  nextCursor: string | null;
}

export interface AcceptResult {
  invitationId: string;
  status: 'accepted';
  acceptedAt: string;
}

export interface InvitationService {
  create(caller: Caller, request: CreateRequest): Promise<CreateResult>;
  list(caller: Caller, options: { limit: number; cursor?: string }): Promise<ListResult>;
  get(caller: Caller, invitationId: string): Promise<InvitationView>;
  accept(caller: Caller, inviteCode: string): Promise<AcceptResult>;
}

const NOT_FOUND_MESSAGE = 'No such invitation';
/** The contracts' entityId: what invitation ids look like. */
const INVITATION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

export function createInvitationService(
  deps: InvitationServiceDeps,
  options: InvitationServiceOptions,
): InvitationService {
  const { store, publisher, metrics, logger, clock } = deps;
  const random = deps.random ?? Math.random;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  /**
   * While the global hourly ceiling is reached, this replica answers 503 without touching DynamoDB:
   * a pumping attack then costs neither SMS nor write capacity. Each replica learns it from its own
   * first refused transaction.
   */
  let breakerOpenUntil = 0;

  async function create(caller: Caller, request: CreateRequest): Promise<CreateResult> {
    const phone = checkPhoneNumber(request.phoneNumber, options.phonePolicy);
    if (!phone.ok) throw new AppError(phone.code, phone.message, { details: { reason: phone.reason } });

    const requestHash = hashRequest({ phoneNumber: phone.e164 });
    if (request.idempotencyKey !== undefined) {
      const replay = await replayStored(caller, request.idempotencyKey, requestHash);
      if (replay !== undefined) return tagged(caller, replay);
    }

    const startedAt = clock();
    if (startedAt < breakerOpenUntil) throw breakerError(breakerOpenUntil - startedAt);

    for (let attempt = 1; attempt <= options.maxWriteAttempts; attempt++) {
      const now = clock();
      const invitation = newInvitation(caller, phone.e164, now);
      const body: InvitationCreatedBody = {
        success: true,
        invitationId: invitation.invitationId,
        inviteCode: invitation.inviteCode,
        status: 'queued',
        referralUrl: invitation.referralUrl,
        phoneNumber: invitation.phoneNumber,
        createdAt: invitation.createdAt,
      };
      const outbox = smsRequestMessage(invitation, request.requestId);
      const outcome = await store.create({
        invitation,
        outbox,
        outboxDueAt: now + options.outboxGraceMs,
        now,
        limits: options.limits,
        globalShard: Math.floor(random() * options.limits.globalShards),
        ...(request.idempotencyKey === undefined
          ? {}
          : {
              idempotency: {
                key: request.idempotencyKey,
                requestHash,
                responseBody: JSON.stringify(body),
                retentionMs: options.idempotencyRetentionMs,
              },
            }),
      });
      switch (outcome.kind) {
        case 'created': {
          tagInvitationSpan({ ...invitation });
          metrics.count('InvitationsCreated');
          logger.info(
            { invitationId: invitation.invitationId, phoneNumber: invitation.phoneNumber, attempt },
            'invitation created',
          );
          // The outbox item is already committed: if this send fails the relay delivers it later,
          // so the client gets its 201 either way.
          await publisher.publish(outbox);
          return { body, replayed: false };
        }
        case 'idempotency-key-taken': {
          // A concurrent request with the same key committed first.
          const replay = await replayStored(caller, request.idempotencyKey ?? '', requestHash);
          if (replay !== undefined) return tagged(caller, replay);
          continue;
        }
        case 'suppressed':
        case 'duplicate':
        case 'phone-limited':
        case 'user-limited':
          throw refusal(outcome, options.limits);
        case 'global-ceiling':
          breakerOpenUntil = now + outcome.retryAfterSeconds * 1000;
          logger.warn(
            { ceiling: options.limits.globalPerHour, openForSeconds: outcome.retryAfterSeconds },
            'global SMS ceiling reached; refusing invitations until the hour ends',
          );
          throw breakerError(outcome.retryAfterSeconds * 1000);
        case 'code-taken':
        case 'id-taken':
          logger.info({ outcome: outcome.kind, attempt }, 'identifier collision; retrying with a new one');
          continue;
        case 'contention':
          // TransactionConflict on a hot counter: back off with full jitter, then try again.
          await sleep(random() * Math.min(1000, 20 * 2 ** attempt));
          continue;
      }
    }
    logger.warn({ attempts: options.maxWriteAttempts }, 'invitation not written: attempts exhausted');
    throw retryLaterError('SERVICE_UNAVAILABLE', 'The service is busy; please retry', 1);
  }

  function tagged(caller: Caller, replay: CreateResult): CreateResult {
    tagInvitationSpan({ ...replay.body, inviterUserId: caller.userId });
    return replay;
  }

  async function replayStored(
    caller: Caller,
    key: string,
    requestHash: string,
  ): Promise<CreateResult | undefined> {
    const stored = await store.getStoredResponse(caller.userId, key, clock());
    if (stored === undefined) return undefined;
    if (stored.requestHash !== requestHash) {
      throw new AppError(
        'IDEMPOTENCY_KEY_REUSED',
        'This Idempotency-Key was already used with a different request body; use a new key',
      );
    }
    return { body: JSON.parse(stored.responseBody) as InvitationCreatedBody, replayed: true };
  }

  function newInvitation(caller: Caller, e164: string, now: number): Invitation {
    const inviteCode = deps.newInviteCode();
    const createdAt = new Date(now).toISOString();
    return {
      invitationId: deps.newInvitationId(),
      inviterUserId: caller.userId,
      inviterName: displayName(caller.name),
      phoneNumber: e164,
      inviteCode,
      referralUrl: referralUrl(options.referralBaseUrl, inviteCode),
      status: 'queued',
      createdAt,
      updatedAt: createdAt,
    };
  }

  function breakerError(remainingMs: number): AppError {
    return retryLaterError(
      'SERVICE_UNAVAILABLE',
      'Invitations are paused: the hourly SMS ceiling was reached',
      remainingMs / 1000,
      { reason: 'GLOBAL_SMS_CEILING' },
    );
  }

  async function list(
    caller: Caller,
    { limit, cursor }: { limit: number; cursor?: string },
  ): Promise<ListResult> {
    const startKey = cursor === undefined ? undefined : decodeCursor(cursor, caller.userId);
    if (cursor !== undefined && startKey === undefined) {
      throw new AppError('VALIDATION_ERROR', 'cursor is not a cursor returned by this API for you', {
        details: { fields: [{ path: '/cursor', message: 'invalid cursor' }] },
      });
    }
    const page = await store.listByInviter(caller.userId, {
      limit,
      ...(startKey === undefined ? {} : { startKey }),
    });
    return {
      invitations: page.invitations.map(invitationView),
      nextCursor: page.lastKey === undefined ? null : encodeCursor(page.lastKey),
    };
  }

  async function get(caller: Caller, invitationId: string): Promise<InvitationView> {
    // Not an id this API issues (and a key DynamoDB might refuse for its size): simply not found.
    if (!INVITATION_ID_PATTERN.test(invitationId)) throw new AppError('NOT_FOUND', NOT_FOUND_MESSAGE);
    const invitation = await store.get(invitationId);
    // Someone else's invitation is "not found": its existence is not the caller's business.
    if (invitation === undefined || invitation.inviterUserId !== caller.userId) {
      throw new AppError('NOT_FOUND', NOT_FOUND_MESSAGE);
    }
    tagInvitationSpan(invitation);
    return invitationView(invitation);
  }

  async function accept(caller: Caller, inviteCode: string): Promise<AcceptResult> {
    const invitationId = await store.findInvitationIdByCode(inviteCode);
    if (invitationId === undefined) throw new AppError('NOT_FOUND', 'No invitation has this code');
    const outcome = await store.accept(invitationId, caller.userId, new Date(clock()).toISOString());
    // enduser.id stays the inviter (as on every invitation span), so one tag finds a user's invitations.
    tagInvitationSpan('invitation' in outcome ? outcome.invitation : { invitationId, inviteCode });
    switch (outcome.kind) {
      case 'accepted':
      case 'already-accepted-by-caller': {
        if (outcome.kind === 'accepted') {
          metrics.count('InvitationsAccepted');
          logger.info({ invitationId }, 'invitation accepted');
        }
        return { invitationId, status: 'accepted', acceptedAt: outcome.invitation.acceptedAt ?? '' };
      }
      case 'own-invitation':
        throw new AppError('INVITATION_NOT_ACCEPTABLE', 'You cannot accept your own invitation', {
          details: { reason: 'OWN_INVITATION' },
        });
      case 'already-accepted':
        throw new AppError('INVITATION_NOT_ACCEPTABLE', 'This invitation was already accepted', {
          details: { reason: 'ALREADY_ACCEPTED' },
        });
      case 'not-found':
        throw new AppError('NOT_FOUND', 'No invitation has this code');
    }
  }

  return { create, list, get, accept };
}

/** The client-facing error of a guard that refused the write. */
function refusal(
  outcome: Extract<
    CreateInvitationOutcome,
    { kind: 'suppressed' | 'duplicate' | 'phone-limited' | 'user-limited' }
  >,
  limits: InvitationLimits,
): AppError {
  switch (outcome.kind) {
    case 'suppressed':
      return new AppError('PHONE_OPTED_OUT', 'This number has opted out of SMS invitations', {
        details: { reason: 'OPTED_OUT' },
      });
    case 'duplicate':
      return new AppError(
        'DUPLICATE_INVITATION',
        'You already invited this number recently; the existing invitation is in details',
        {
          details: { invitationId: outcome.existing.invitationId, inviteCode: outcome.existing.inviteCode },
        },
      );
    case 'phone-limited':
      return retryLaterError(
        'RATE_LIMITED_PHONE',
        'This number was invited recently; it can be invited again later',
        outcome.retryAfterSeconds,
      );
    case 'user-limited':
      return retryLaterError(
        'RATE_LIMITED_USER',
        `You can send at most ${limits.perUserPerDay} invitations per day (UTC); the limit resets at 00:00 UTC`,
        outcome.retryAfterSeconds,
        { limit: limits.perUserPerDay },
      );
  }
}

/** sms.requested, encoded now: the outbox keeps the exact message, trace context included. */
function smsRequestMessage(invitation: Invitation, requestId: string | undefined): OutboxMessage {
  const encoded = encodeMessage('sms.requested', {
    invitationId: invitation.invitationId,
    inviteCode: invitation.inviteCode,
    phoneNumber: invitation.phoneNumber,
    inviterName: invitation.inviterName,
    text: renderInvitationSms(invitation),
    requestedAt: invitation.createdAt,
    ...(requestId === undefined ? {} : { correlationId: requestId }),
  });
  return {
    invitationId: invitation.invitationId,
    inviteCode: invitation.inviteCode,
    inviterUserId: invitation.inviterUserId,
    body: encoded.MessageBody,
    attributes: encoded.MessageAttributes,
  };
}

/** Canonical hash of the normalised request: "+1 415 555 2671" and "+14155552671" are the same request. */
function hashRequest(request: { phoneNumber: string }): string {
  return createHash('sha256').update(JSON.stringify(request)).digest('hex');
}

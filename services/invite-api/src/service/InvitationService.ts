import { createHash } from 'node:crypto';
import { encodeMessage } from '@platform/contracts';
import type { Logger } from '@platform/telemetry';
import type { CountryCode } from 'libphonenumber-js';
import { AppError, retryLaterError } from '../errors.ts';
import type { Caller, Invitation } from '../domain/invitation.ts';
import type { InviteCodeGenerator } from '../domain/inviteCode.ts';
import type { OutboxMessage } from '../domain/outboxMessage.ts';
import { toInternationalFormat } from '../domain/nationalNumber.ts';
import { checkPhoneNumber, type PhonePolicy } from '../domain/phone.ts';
import type { RewardPolicy, RewardSummary } from '../domain/rewards.ts';
import { sendIdFor } from '../domain/sendId.ts';
import { effectiveStatus } from '../domain/status.ts';
import { referralUrl, renderInvitationSms } from '../domain/smsText.ts';
import type { OutboxPublisher } from '../outbox/OutboxPublisher.ts';
import type { ShareCardRequester } from '../shareCards/ShareCardRequester.ts';
import type { CreateInvitationOutcome, InvitationLimits } from '../store/createInvitationTransaction.ts';
import type { InvitationStore } from '../store/InvitationStore.ts';
import { tagInvitationSpan } from '../telemetry/invitationSpan.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import type { MetricsPort } from './ports.ts';
import {
  displayPhoneNumber,
  invitationView,
  type InvitationCreatedBody,
  type InvitationView,
  type PublicInvitationView,
} from './views.ts';

export interface InvitationServiceDeps {
  store: InvitationStore;
  publisher: OutboxPublisher;
  metrics: MetricsPort;
  logger: Logger;
  /** Epoch ms. */
  clock: () => number;
  newInvitationId: () => string;
  newInviteCode: InviteCodeGenerator;
  /** Share cards (image-worker); absent: off, the landing page shows the static card. */
  shareCards?: ShareCardRequester;
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
  /** How long a code can be accepted after creation (INVITE_TTL_DAYS). */
  inviteTtlMs: number;
  resend: { max: number; cooldownMs: number };
  rewards: RewardPolicy;
  /** Region national numbers are read in (DEFAULT_COUNTRY); undefined: international format only. */
  defaultCountry?: CountryCode | undefined;
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
  /** Who invited (display name), for the landing page's confirmation. */
  inviterName: string;
  /** Points of the welcome reward this acceptance earned the caller (0: none, or a repeat). */
  welcomePoints: number;
}

export interface RewardsResult extends RewardSummary {
  /** REWARD_CAP_PER_INVITER and how many referral rewards are still possible. */
  cap: number;
  remaining: number;
}

export interface InvitationService {
  create(caller: Caller, request: CreateRequest): Promise<CreateResult>;
  list(caller: Caller, options: { limit: number; cursor?: string }): Promise<ListResult>;
  get(caller: Caller, invitationId: string): Promise<InvitationView>;
  accept(caller: Caller, inviteCode: string): Promise<AcceptResult>;
  revoke(caller: Caller, invitationId: string): Promise<InvitationView>;
  resend(
    caller: Caller,
    invitationId: string,
    request?: { requestId?: string; idempotencyKey?: string },
  ): Promise<InvitationView>;
  rewards(caller: Caller): Promise<RewardsResult>;
  /** The landing page's view of a code; undefined for an unknown (or malformed) code. */
  lookupCode(inviteCode: string): Promise<PublicInvitationView | undefined>;
}

const NOT_FOUND_MESSAGE = 'No such invitation';
const UNKNOWN_CODE_MESSAGE = 'No invitation has this code';
/** A cheap pre-check before any read: anything else is an unknown code. */
const INVITE_CODE_SHAPE = /^APP-[A-Z0-9]{6}$/;
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
    const phone = checkPhoneNumber(
      toInternationalFormat(request.phoneNumber, options.defaultCountry),
      options.phonePolicy,
    );
    if (!phone.ok) throw new AppError(phone.code, phone.message, { details: { reason: phone.reason } });

    const requestHash = hashRequest({ phoneNumber: phone.e164 });
    if (request.idempotencyKey !== undefined) {
      const replay = await replayStored(caller, request.idempotencyKey, requestHash);
      if (replay !== undefined) return replayed(caller, replay);
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
        phoneNumberDisplay: displayPhoneNumber(invitation.phoneNumber),
        createdAt: invitation.createdAt,
        expiresAt: invitation.expiresAt ?? invitation.createdAt,
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
          // Committed: ask for the share card in the background (never awaited, never throws).
          deps.shareCards?.request(invitation);
          // The outbox item is committed: the 201 does not wait for the send (nor the outbox
          // delete). If the send fails, or this process dies before it happens, the relay delivers
          // the item after its grace (OutboxPublisher.publishAfterResponse).
          publisher.publishAfterResponse(outbox);
          return { body, replayed: false };
        }
        case 'idempotency-key-taken': {
          // A concurrent request with the same key committed first.
          const replay = await replayStored(caller, request.idempotencyKey ?? '', requestHash);
          if (replay !== undefined) return replayed(caller, replay);
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

  /**
   * A retried create: asking for the card again names the same job (its id is derived from the
   * invitation id), so the ledger keeps one, and a first submit that failed is healed here.
   */
  function replayed(caller: Caller, replay: CreateResult): CreateResult {
    deps.shareCards?.request({ invitationId: replay.body.invitationId, inviterName: caller.name });
    return tagged(caller, replay);
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
      inviterName: caller.name, // already safe: safeDisplayName when the token was read
      phoneNumber: e164,
      inviteCode,
      referralUrl: referralUrl(options.referralBaseUrl, inviteCode),
      status: 'queued',
      createdAt,
      updatedAt: createdAt,
      expiresAt: new Date(now + options.inviteTtlMs).toISOString(),
      resendCount: 0,
      lastSendRequestedAt: createdAt,
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
      invitations: page.invitations.map((invitation) => invitationView(invitation, clock())),
      nextCursor: page.lastKey === undefined ? null : encodeCursor(page.lastKey),
    };
  }

  async function get(caller: Caller, invitationId: string): Promise<InvitationView> {
    const invitation = await ownInvitation(caller, invitationId);
    tagInvitationSpan(invitation);
    return invitationView(invitation, clock());
  }

  async function ownInvitation(caller: Caller, invitationId: string): Promise<Invitation> {
    // Not an id this API issues (and a key DynamoDB might refuse for its size): simply not found.
    if (!INVITATION_ID_PATTERN.test(invitationId)) throw new AppError('NOT_FOUND', NOT_FOUND_MESSAGE);
    const invitation = await store.get(invitationId);
    // Someone else's invitation is "not found": its existence is not the caller's business.
    if (invitation === undefined || invitation.inviterUserId !== caller.userId) {
      throw new AppError('NOT_FOUND', NOT_FOUND_MESSAGE);
    }
    return invitation;
  }

  async function byCode(inviteCode: string): Promise<Invitation | undefined> {
    if (!INVITE_CODE_SHAPE.test(inviteCode)) return undefined;
    const invitationId = await store.findInvitationIdByCode(inviteCode);
    return invitationId === undefined ? undefined : store.get(invitationId);
  }

  async function accept(caller: Caller, inviteCode: string): Promise<AcceptResult> {
    let withReferralReward = true;
    for (let attempt = 1; attempt <= options.maxWriteAttempts; attempt++) {
      const invitation = await byCode(inviteCode);
      if (invitation === undefined) throw new AppError('NOT_FOUND', UNKNOWN_CODE_MESSAGE);
      // enduser.id stays the inviter (as on every invitation span), so one tag finds a user's invitations.
      tagInvitationSpan(invitation);
      const outcome = await store.accept({
        invitation,
        userId: caller.userId,
        now: new Date(clock()).toISOString(),
        rewards: options.rewards,
        withReferralReward,
      });
      const { invitationId } = invitation;
      switch (outcome.kind) {
        case 'accepted':
          metrics.count('InvitationsAccepted');
          logger.info(
            {
              invitationId,
              referralRewarded: outcome.referralRewarded,
              welcomePoints: outcome.welcomePoints,
            },
            'invitation accepted',
          );
          return acceptResult(outcome.invitation, outcome.welcomePoints);
        case 'already-accepted-by-caller':
          return acceptResult(outcome.invitation, 0);
        case 'own-invitation':
          throw new AppError('INVITATION_NOT_ACCEPTABLE', 'You cannot accept your own invitation', {
            details: { reason: 'OWN_INVITATION' },
          });
        case 'already-accepted':
          throw new AppError('INVITATION_NOT_ACCEPTABLE', 'This invitation was already accepted', {
            details: { reason: 'ALREADY_ACCEPTED' },
          });
        case 'already-referred':
          throw new AppError(
            'INVITATION_NOT_ACCEPTABLE',
            'You already joined through another invitation; each person can accept one',
            { details: { reason: 'ALREADY_REFERRED' } },
          );
        case 'revoked':
          throw new AppError('INVITATION_REVOKED', 'This invitation was withdrawn by the person who sent it');
        case 'expired':
          throw new AppError('INVITATION_EXPIRED', 'This invitation has expired', {
            details: { expiresAt: outcome.invitation.expiresAt },
          });
        case 'not-found':
          throw new AppError('NOT_FOUND', UNKNOWN_CODE_MESSAGE);
        case 'reward-cap-reached':
          // The cap only ever fills up: accepting without the reward is final, not a race to retry.
          logger.info({ invitationId, cap: options.rewards.capPerInviter }, 'inviter reward cap reached');
          withReferralReward = false;
          continue;
        case 'contention':
          await sleep(random() * Math.min(1000, 20 * 2 ** attempt));
          continue;
      }
    }
    logger.warn({ attempts: options.maxWriteAttempts }, 'acceptance not written: attempts exhausted');
    throw retryLaterError('SERVICE_UNAVAILABLE', 'The service is busy; please retry', 1);
  }

  function acceptResult(invitation: Invitation, welcomePoints: number): AcceptResult {
    return {
      invitationId: invitation.invitationId,
      status: 'accepted',
      acceptedAt: invitation.acceptedAt ?? '',
      inviterName: invitation.inviterName,
      welcomePoints,
    };
  }

  async function revoke(caller: Caller, invitationId: string): Promise<InvitationView> {
    await ownInvitation(caller, invitationId);
    for (let attempt = 1; attempt <= options.maxWriteAttempts; attempt++) {
      const outcome = await store.revoke({
        invitationId,
        userId: caller.userId,
        now: new Date(clock()).toISOString(),
      });
      switch (outcome.kind) {
        case 'revoked':
          tagInvitationSpan(outcome.invitation);
          logger.info({ invitationId }, 'invitation revoked');
          return invitationView(outcome.invitation, clock());
        case 'already-revoked':
          return invitationView(outcome.invitation, clock());
        case 'not-revocable':
          throw new AppError(
            'INVITATION_NOT_REVOCABLE',
            outcome.reason === 'ACCEPTED'
              ? 'This invitation was already accepted and can no longer be revoked'
              : 'This invitation has expired; there is nothing left to revoke',
            { details: { reason: outcome.reason } },
          );
        case 'not-found':
          throw new AppError('NOT_FOUND', NOT_FOUND_MESSAGE);
        case 'contention':
          await sleep(random() * Math.min(1000, 20 * 2 ** attempt));
          continue;
      }
    }
    throw retryLaterError('SERVICE_UNAVAILABLE', 'The service is busy; please retry', 1);
  }

  async function resend(
    caller: Caller,
    invitationId: string,
    request: { requestId?: string; idempotencyKey?: string } = {},
  ): Promise<InvitationView> {
    for (let attempt = 1; attempt <= options.maxWriteAttempts; attempt++) {
      const invitation = await ownInvitation(caller, invitationId);
      tagInvitationSpan(invitation);
      const now = clock();
      const resendNumber = (invitation.resendCount ?? 0) + 1;
      const outbox = smsRequestMessage(
        invitation,
        request.requestId,
        sendIdFor(invitation.invitationId, resendNumber),
        new Date(now).toISOString(),
      );
      const outcome = await store.resend({
        invitation,
        userId: caller.userId,
        outbox,
        outboxDueAt: now + options.outboxGraceMs,
        now,
        limits: options.limits,
        globalShard: Math.floor(random() * options.limits.globalShards),
        maxResends: options.resend.max,
        cooldownMs: options.resend.cooldownMs,
        ...(request.idempotencyKey === undefined ? {} : { idempotencyKey: request.idempotencyKey }),
      });
      switch (outcome.kind) {
        case 'resent':
          logger.info({ invitationId, resendNumber }, 'invitation SMS resent');
          // Committed with the resend, like a create's: sent after the 202, the relay as backstop.
          publisher.publishAfterResponse(outbox);
          return invitationView(outcome.invitation, now);
        case 'replayed':
          return invitationView(outcome.invitation, now);
        case 'not-found':
          throw new AppError('NOT_FOUND', NOT_FOUND_MESSAGE);
        case 'not-pending':
          throw new AppError(
            'RESEND_NOT_ALLOWED',
            `Only a sent or delivered invitation can be sent again; this one is ${effectiveStatus(outcome.invitation, now)}`,
            { details: { reason: 'NOT_PENDING', status: effectiveStatus(outcome.invitation, now) } },
          );
        case 'max-resends':
          throw new AppError(
            'RESEND_NOT_ALLOWED',
            `An invitation can be sent again at most ${options.resend.max} times`,
            { details: { reason: 'MAX_RESENDS', limit: options.resend.max } },
          );
        case 'too-soon':
          throw retryLaterError(
            'RATE_LIMITED_RESEND',
            'This invitation was sent moments ago; it can be sent again later',
            outcome.retryAfterSeconds,
          );
        case 'suppressed':
          throw refusal({ kind: 'suppressed' }, options.limits);
        case 'user-limited':
          throw refusal(outcome, options.limits);
        case 'global-ceiling':
          throw breakerError(outcome.retryAfterSeconds * 1000);
        case 'contention':
          await sleep(random() * Math.min(1000, 20 * 2 ** attempt));
          continue;
      }
    }
    throw retryLaterError('SERVICE_UNAVAILABLE', 'The service is busy; please retry', 1);
  }

  async function rewards(caller: Caller): Promise<RewardsResult> {
    const summary = await store.rewardsOf(caller.userId);
    const cap = options.rewards.capPerInviter;
    return { ...summary, cap, remaining: Math.max(0, cap - summary.referralCount) };
  }

  async function lookupCode(inviteCode: string): Promise<PublicInvitationView | undefined> {
    const invitation = await byCode(inviteCode);
    if (invitation === undefined) return undefined;
    tagInvitationSpan(invitation);
    const status = effectiveStatus(invitation, clock());
    return {
      invitationId: invitation.invitationId,
      inviteCode: invitation.inviteCode,
      inviterName: invitation.inviterName,
      status: status === 'accepted' || status === 'expired' || status === 'revoked' ? status : 'pending',
      ...(invitation.expiresAt === undefined ? {} : { expiresAt: invitation.expiresAt }),
    };
  }

  return { create, list, get, accept, revoke, resend, rewards, lookupCode };
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

/**
 * sms.requested, encoded now: the outbox keeps the exact message, trace context included. `sendId`
 * (domain/sendId.ts) is the invitation id for the first SMS and a derived id for a resend.
 */
function smsRequestMessage(
  invitation: Invitation,
  requestId: string | undefined,
  sendId: string = invitation.invitationId,
  requestedAt: string = invitation.createdAt,
): OutboxMessage {
  const encoded = encodeMessage('sms.requested', {
    invitationId: sendId,
    inviteCode: invitation.inviteCode,
    phoneNumber: invitation.phoneNumber,
    inviterName: invitation.inviterName,
    text: renderInvitationSms(invitation),
    requestedAt,
    ...(requestId === undefined ? {} : { correlationId: requestId }),
  });
  return {
    invitationId: sendId,
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

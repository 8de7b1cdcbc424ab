/**
 * BENCH ONLY: the two baselines of `npm run bench:api`, one tiny Koa app (no telemetry preload, no
 * logging, no schema validation, no phone parsing) built from invite-api's own pieces:
 *
 *   POST /put  JWT verify + JSON body + one PutItem
 *   POST /tx   JWT verify + JSON body + the invitation POST's TransactWriteItems (same items, same
 *              conditions: writeInvitationTransaction), with a pre-encoded sms.requested as outbox body
 *
 * Both answer 201. Started by bench/api/run.ts with the same AWS env as invite-api; prints
 * `{"msg":"baseline listening","port":N}`. Never imported by production code.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { Router } from '@koa/router';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { createAwsClients } from '@platform/aws-resources';
import { encodeMessage } from '@platform/contracts';
import { createJwtAuthenticator } from '../../services/invite-api/src/auth/jwtAuthenticator.ts';
import { LOCAL_DEV_JWT } from '../../services/invite-api/src/auth/mintToken.ts';
import { createInviteCodeGenerator } from '../../services/invite-api/src/domain/inviteCode.ts';
import type { Invitation } from '../../services/invite-api/src/domain/invitation.ts';
import { jsonBody } from '../../services/invite-api/src/http/jsonBody.ts';
import type { AppState } from '../../services/invite-api/src/http/types.ts';
import { writeInvitationTransaction } from '../../services/invite-api/src/store/createInvitationTransaction.ts';

const table = process.env.INVITATIONS_TABLE ?? '';
const { documentClient } = createAwsClients(process.env);
const authenticator = createJwtAuthenticator({
  key: { kind: 'secret', secret: process.env.JWT_SECRET ?? '' },
  issuer: LOCAL_DEV_JWT.issuer,
  audience: LOCAL_DEV_JWT.audience,
  clockToleranceSeconds: 30,
});
const newInviteCode = createInviteCodeGenerator();
// One real encoding at start-up: the outbox item then has the size and attributes of the real one.
const template = encodeMessage('sms.requested', {
  invitationId: 'inv-00000000-0000-0000-0000-000000000000',
  inviteCode: 'APP-AAAAAA',
  phoneNumber: '+14155552671',
  inviterName: 'Bench User',
  text: 'Bench User invited you: https://app.example/invite/APP-AAAAAA',
  requestedAt: new Date().toISOString(),
});
const limits = {
  perUserPerDay: 10,
  phoneWindowMs: 24 * 3_600_000,
  globalPerHour: 10_000_000,
  globalShards: 10,
};

const app = new Koa<AppState>();
app.silent = true;
app.use(async (ctx, next) => {
  try {
    await next();
  } catch (error) {
    ctx.status = (error as { status?: number }).status ?? 500;
    ctx.body = { success: false, error: String(error) };
  }
});
const router = new Router<AppState>();
const body = jsonBody({ limitBytes: 4096 });
const auth: Koa.Middleware<AppState> = async (ctx, next) => {
  ctx.state.caller = await authenticator.authenticate(ctx.get('authorization'));
  await next();
};

router.post('/put', auth, body, async (ctx) => {
  const { phoneNumber } = ctx.request.body as { phoneNumber: string };
  const id = `inv-${randomUUID()}`;
  await documentClient.send(
    new PutCommand({
      TableName: table,
      Item: {
        pk: `BENCH#${id}`,
        sk: 'BENCH',
        inviter_user_id: ctx.state.caller!.userId,
        phone_number: phoneNumber,
        created_at: new Date().toISOString(),
      },
    }),
  );
  ctx.status = 201;
  ctx.body = { success: true, invitationId: id, phoneNumber };
});

router.post('/tx', auth, body, async (ctx) => {
  const { phoneNumber } = ctx.request.body as { phoneNumber: string };
  const caller = ctx.state.caller!;
  const now = Date.now();
  const createdAt = new Date(now).toISOString();
  const inviteCode = newInviteCode();
  const invitation: Invitation = {
    invitationId: `inv-${randomUUID()}`,
    inviterUserId: caller.userId,
    inviterName: caller.name,
    phoneNumber,
    inviteCode,
    referralUrl: `https://app.example/invite/${inviteCode}`,
    status: 'queued',
    createdAt,
    updatedAt: createdAt,
    expiresAt: new Date(now + 14 * 86_400_000).toISOString(),
    resendCount: 0,
    lastSendRequestedAt: createdAt,
  };
  const outcome = await writeInvitationTransaction(documentClient, table, {
    invitation,
    outbox: {
      invitationId: invitation.invitationId,
      inviteCode,
      inviterUserId: caller.userId,
      body: template.MessageBody.replace('+14155552671', phoneNumber),
      attributes: template.MessageAttributes,
    },
    outboxDueAt: now + 10_000,
    now,
    limits,
    globalShard: Math.floor(Math.random() * limits.globalShards),
  });
  ctx.status = outcome.kind === 'created' ? 201 : 409;
  ctx.body = { success: outcome.kind === 'created', invitationId: invitation.invitationId, phoneNumber };
});
app.use(router.routes());

const server = createServer(app.callback());
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ msg: 'baseline listening', port })}\n`);
});
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});

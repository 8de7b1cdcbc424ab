/**
 * Mints a local-only API token:
 *   npm run token -w @platform/invite-api -- --sub user-1 --name Alice [--ttl 3600]
 * Prints only the token, so `TOKEN=$(npm run -s token -w @platform/invite-api -- --sub user-1)` works.
 * Signs with JWT_SECRET (default: the published local development secret) and the local issuer and
 * audience; a production API verifies against its identity provider's JWKS and refuses these.
 */
import { parseArgs } from 'node:util';
import { LOCAL_DEV_JWT, mintToken } from '../auth/mintToken.ts';

const usage =
  'usage: npm run token -w @platform/invite-api -- --sub <user id> [--name <display name>] [--ttl <seconds>]';

const { values } = parseArgs({
  options: {
    sub: { type: 'string' },
    name: { type: 'string' },
    ttl: { type: 'string', default: '3600' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help === true) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
if (process.env.NODE_ENV === 'production') {
  process.stderr.write(
    'refusing to mint tokens with NODE_ENV=production: tokens come from the identity provider there\n',
  );
  process.exit(1);
}
const ttlSeconds = Number(values.ttl);
if (
  values.sub === undefined ||
  values.sub === '' ||
  !Number.isInteger(ttlSeconds) ||
  ttlSeconds < 1 ||
  ttlSeconds > 7 * 86_400
) {
  process.stderr.write(`${usage}\n  --sub is required; --ttl must be an integer from 1 to 604800 seconds\n`);
  process.exit(64);
}

const token = await mintToken({
  sub: values.sub,
  ...(values.name === undefined ? {} : { name: values.name }),
  secret: process.env.JWT_SECRET || LOCAL_DEV_JWT.secret,
  issuer: process.env.JWT_ISSUER || LOCAL_DEV_JWT.issuer,
  audience: process.env.JWT_AUDIENCE || LOCAL_DEV_JWT.audience,
  ttlSeconds,
});
process.stdout.write(`${token}\n`);

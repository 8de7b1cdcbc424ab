import { createHash } from 'node:crypto';
import type { AppContext } from '../http/types.ts';

/**
 * Conditional GET for polled JSON and static files. Koa's `ctx.fresh` is not used: it reports stale
 * whenever the request says `Cache-Control: no-cache`, and fetch() adds exactly that to any request
 * carrying its own If-None-Match. That directive is for caches in between; the origin may still
 * answer 304 when the representation is unchanged (RFC 9110 13.1.2), which is what the page polls for.
 */
export function sendWithEtag(ctx: AppContext, body: string | Buffer, etag: string): void {
  const tag = `"${etag}"`;
  ctx.set('ETag', tag);
  if (ifNoneMatch(ctx.get('if-none-match'), tag)) {
    ctx.status = 304;
    return;
  }
  ctx.body = body;
}

export function contentTag(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('base64url').slice(0, 27);
}

/** If-None-Match uses weak comparison: W/"x" matches "x". */
function ifNoneMatch(header: string, tag: string): boolean {
  if (header === '') return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === tag);
}

import { Router } from '@koa/router';
import type { AppState } from '../http/types.ts';
import { openApiDocument } from '../openapi/document.ts';
import { renderDocsPage } from '../openapi/docsPage.ts';

export type CheckState = 'ok' | 'failed' | 'shutting-down';

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, CheckState>;
}

// The page has no script and loads nothing: everything but inline style is refused.
const DOCS_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** /healthz, /readyz, /openapi.json and /docs: no authentication, no rate limit, no DynamoDB writes. */
export function operationRoutes(deps: { readiness: () => Promise<ReadinessReport> }): Router<AppState> {
  const router = new Router<AppState>();
  const docsPage = renderDocsPage(openApiDocument);
  const documentJson = JSON.stringify(openApiDocument);

  // Liveness only says the event loop serves requests: a DynamoDB outage must not get pods restarted.
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });

  router.get('/readyz', async (ctx) => {
    const report = await deps.readiness();
    ctx.status = report.ready ? 200 : 503;
    ctx.body = { status: report.ready ? 'ready' : 'not-ready', checks: report.checks };
  });

  router.get('/openapi.json', (ctx) => {
    ctx.type = 'application/json';
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = documentJson;
  });

  router.get('/docs', (ctx) => {
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('Content-Security-Policy', DOCS_CSP);
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = docsPage;
  });

  return router;
}

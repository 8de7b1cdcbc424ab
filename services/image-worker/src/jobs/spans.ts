import { context, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';

const tracer = trace.getTracer('@platform/image-worker');

/**
 * Runs `fn` in a child span of the job's CONSUMER span (`render`, `upload`, `ledger.complete`, ...),
 * ending it and marking errors, so a trace shows where a job spent its time and where it failed.
 */
export async function inChildSpan<T>(
  parent: Span,
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const parentContext = trace.setSpan(context.active(), parent);
  return tracer.startActiveSpan(name, { attributes }, parentContext, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : String(error),
      });
      throw error;
    } finally {
      span.end();
    }
  });
}

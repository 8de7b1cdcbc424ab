import { context, trace, type Attributes, type Span } from '@opentelemetry/api';
import { runInSpan } from '@platform/telemetry';

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
  return tracer.startActiveSpan(name, { attributes }, parentContext, (span) => runInSpan(span, fn));
}

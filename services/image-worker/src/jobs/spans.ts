import { context, trace, type Attributes, type Span } from '@opentelemetry/api';
import { runInSpan } from '@platform/telemetry';

const tracer = trace.getTracer('@platform/image-worker');

/**
 * Runs `fn` in a child span of the job's CONSUMER span, ending it and marking errors. Only for work
 * that makes no AWS call of its own (`render`): an AWS call already has its SDK span under the job's
 * span, and a span of ours around it would only repeat it.
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

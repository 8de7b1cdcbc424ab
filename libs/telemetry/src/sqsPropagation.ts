// W3C trace context <-> SQS message attributes, and how our injection cooperates with the
// aws-sdk instrumentation's own.
import {
  context,
  propagation,
  type Context,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import type { MessageAttributeValue } from '@aws-sdk/client-sqs';

export type SqsAttributes = Record<string, MessageAttributeValue>;

/** SQS accepts at most 10 message attributes per message (SendMessage API reference). */
export const SQS_MAX_MESSAGE_ATTRIBUTES = 10;

const setter: TextMapSetter<SqsAttributes> = {
  set(carrier, key, value) {
    carrier[key] = { DataType: 'String', StringValue: value };
  },
};

const getter: TextMapGetter<SqsAttributes | undefined> = {
  keys: (carrier) => Object.keys(carrier ?? {}),
  get: (carrier, key) => carrier?.[key]?.StringValue,
};

// Kept on globalThis (not in a module variable) so that two copies of this module, e.g. one
// loaded through `--import @platform/telemetry/register` and one through a service's import,
// still agree on who injects.
const INSTRUMENTATION_INJECTS = Symbol.for('@platform/telemetry.awsSdkInstrumentationInjectsSqs');
type FlagHolder = { [INSTRUMENTATION_INJECTS]?: boolean };

/**
 * Called by startTelemetry when the aws-sdk instrumentation is enabled. From then on the
 * instrumentation is the one that injects on SendMessage/SendMessageBatch (see injectTraceContext).
 */
export function setSqsInjectionByInstrumentation(enabled: boolean): void {
  (globalThis as FlagHolder)[INSTRUMENTATION_INJECTS] = enabled;
}

/**
 * True when the aws-sdk instrumentation will inject into these attributes at send time. It
 * injects inside its PRODUCER `<queue> send` span, but only when
 * `attributes + propagation fields <= 10` (instrumentation-aws-sdk MessageAttributes.injectPropagationContext);
 * otherwise it logs a diag warning and leaves the message alone.
 */
export function instrumentationWillInject(attributes: SqsAttributes): boolean {
  if ((globalThis as FlagHolder)[INSTRUMENTATION_INJECTS] !== true) return false;
  return Object.keys(attributes).length + propagation.fields().length <= SQS_MAX_MESSAGE_ATTRIBUTES;
}

/**
 * Writes traceparent/tracestate/baggage for the active (or given) context into the attributes.
 *
 * Exactly one side injects. When the aws-sdk instrumentation is active and will find room, we
 * leave the attributes alone: it injects at send time from its `<queue> send` span, which is the
 * better parent for the consumer (producer -> send -> process). Otherwise (no SDK registered, or
 * too many attributes for the instrumentation's room check) we inject here, and the propagator
 * startTelemetry installs (propagator.ts) refuses to inject into attributes that already hold a
 * traceparent, so the instrumentation cannot overwrite ours with a different context.
 * Either way the message carries one traceparent, written once. Send the attributes unchanged after this call:
 * adding attributes afterwards can take away the room the instrumentation was counted on.
 */
export function injectTraceContext(
  attributes: SqsAttributes,
  ctx: Context = context.active(),
): SqsAttributes {
  if (instrumentationWillInject(attributes)) return attributes;
  propagation.inject(ctx, attributes, setter);
  return attributes;
}

/**
 * Writes the given context into the attributes even where the instrumentation would inject: for a
 * message sent in a batch (SendMessageBatch) on behalf of a request that is not the batch's, the
 * instrumentation would give every entry the batch span's context, cutting each message off from
 * its own trace. With ours written first, the propagator keeps it. A traceparent already there
 * stays, as does the message when there is no room (SQS's 10 attributes).
 */
export function writeTraceContext(attributes: SqsAttributes, ctx: Context): SqsAttributes {
  if (Object.keys(attributes).length + propagation.fields().length > SQS_MAX_MESSAGE_ATTRIBUTES)
    return attributes;
  propagation.inject(ctx, attributes, setter);
  return attributes;
}

/** Reads the producer's context from a received message's attributes. */
export function extractTraceContext(
  attributes: SqsAttributes | undefined,
  base: Context = context.active(),
): Context {
  return propagation.extract(base, attributes, getter);
}

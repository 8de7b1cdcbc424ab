// PROVISIONAL (to be completed by the telemetry work): W3C trace context <-> SQS message attributes.
import { context, propagation, type Context, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';
import type { MessageAttributeValue } from '@aws-sdk/client-sqs';

export type SqsAttributes = Record<string, MessageAttributeValue>;

const setter: TextMapSetter<SqsAttributes> = {
  set(carrier, key, value) {
    carrier[key] = { DataType: 'String', StringValue: value };
  },
};

const getter: TextMapGetter<SqsAttributes | undefined> = {
  keys: (carrier) => Object.keys(carrier ?? {}),
  get: (carrier, key) => carrier?.[key]?.StringValue,
};

/** Writes traceparent/tracestate/baggage for the active (or given) context into the attributes. */
export function injectTraceContext(attributes: SqsAttributes, ctx: Context = context.active()): SqsAttributes {
  propagation.inject(ctx, attributes, setter);
  return attributes;
}

/** Reads the producer's context from a received message's attributes. */
export function extractTraceContext(attributes: SqsAttributes | undefined, base: Context = context.active()): Context {
  return propagation.extract(base, attributes, getter);
}

import type { Context, TextMapGetter, TextMapPropagator, TextMapSetter } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';

/** True for an SQS/SNS MessageAttributes map that already holds a traceparent attribute. */
function carriesMessageTraceContext(carrier: unknown): boolean {
  if (typeof carrier !== 'object' || carrier === null || !('traceparent' in carrier)) return false;
  const attribute: unknown = carrier.traceparent;
  return typeof attribute === 'object' && attribute !== null && 'StringValue' in attribute;
}

/**
 * W3C trace context + baggage (the OTel default), with one rule for message attributes: a message
 * that already carries a traceparent keeps it. The aws-sdk instrumentation injects on every
 * SendMessage whenever `attributes + 3 <= 10`; since an injection adds only the fields that have
 * values (often just traceparent), its room check alone cannot stop it from overwriting a context
 * we injected, e.g. a relay forwarding the original producer's. HTTP header carriers (plain
 * strings) are unaffected.
 */
export function createPropagator(): TextMapPropagator {
  const w3c = new CompositePropagator({
    propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
  });
  return {
    inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
      if (carriesMessageTraceContext(carrier)) return;
      w3c.inject(context, carrier, setter);
    },
    extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
      return w3c.extract(context, carrier, getter);
    },
    fields(): string[] {
      return w3c.fields();
    },
  };
}

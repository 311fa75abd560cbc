/** NATS header names that every Concord message carries. */
export const Headers = {
  /** JetStream dedupe id: derived from content (see dedupe.ts), never random. */
  msgId: "Nats-Msg-Id",
  /** W3C trace context, so one trace spans webhook → resolver → writer → target call. */
  traceparent: "traceparent",
  tracestate: "tracestate",
  /** `<message type>/<schema version>`, e.g. `change/1`. */
  schema: "Concord-Schema",
  /** On a message re-published by `concord dlq retry`: the id of the dead letter it retries. */
  retryOf: "Concord-Retry-Of",
} as const;

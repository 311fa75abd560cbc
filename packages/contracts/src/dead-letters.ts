import { z } from "zod";
import { InstantSchema } from "./codecs";

/** A message that could not be applied: everything a person needs to understand and retry it. */
export const DeadLetterSchema = z.object({
  v: z.literal(1),
  type: z.literal("dead-letter"),
  stage: z.string().describe("Consumer that gave up, e.g. onec-writer"),
  stream: z.string().describe("Stream of the original message"),
  streamSeq: z.number().int().nonnegative().describe("Sequence of the original in its stream"),
  subject: z.string().describe("Subject of the original message"),
  messageId: z.string().nullable().describe("Dedupe id of the original"),
  original: z.object({
    data: z.string().describe("The original payload (UTF-8 JSON), secrets masked: what people see"),
    headers: z.record(z.string(), z.string()).describe("The original headers (masked)"),
    sealed: z
      .string()
      .optional()
      .describe("The original `{data, headers}` unmasked and encrypted (AES-256-GCM, CONCORD_DLQ_KEY): what a retry publishes"),
  }),
  error: z.object({
    kind: z.enum(["retryable", "permanent"]),
    code: z.string(),
    message: z.string().describe("Masked message"),
    failureClass: z.enum(["business", "pipeline"]).describe("business rejection vs pipeline fault"),
  }),
  attempts: z.number().int().positive(),
  firstFailedAt: InstantSchema,
  lastFailedAt: InstantSchema,
  traceId: z.string().nullable(),
  retryOf: z
    .string()
    .nullable()
    .default(null)
    .describe("When the original was a retry (`Concord-Retry-Of` header): the id of the dead letter it retried"),
});
export type DeadLetter = z.infer<typeof DeadLetterSchema>;

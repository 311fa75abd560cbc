import { z } from "zod";
import { commonConfig, port, secret } from "@concord/config";

const required = (what: string) => ({
  error: (issue: { input: unknown }) => (issue.input === undefined ? `required: ${what}` : `must be text: ${what}`),
});

/** `whsec_<base64>` (Standard Webhooks) or a plain passphrase; a `whsec_` value must decode to a key. */
const onecSecret = z
  .string(required("the Standard Webhooks secret shared with the 1C extension (whsec_<base64>)"))
  .min(1)
  .refine((value) => !value.startsWith("whsec_") || decodesToKey(value.slice("whsec_".length)), {
    message: "after the whsec_ prefix the secret must be base64 of at least 16 random bytes (e.g. whsec_$(openssl rand -base64 32))",
  });

function decodesToKey(base64: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return false;
  return Buffer.from(base64, "base64").length >= 16;
}

/** Sizes as body-parser (the `bytes` package) reads them: `64kb`, `1mb`, `65536`. */
const byteSize = z
  .string()
  .regex(/^\d+(\.\d+)?\s*(b|kb|mb)?$/i, "use a size such as 64kb, 1mb or 65536 (bytes)")
  .default("64kb");

/** Ingress configuration: one variable per key, parsed once in main.ts with loadConfig. */
export const ingressConfigSchema = z.object({
  ...commonConfig,
  /** Interface the HTTP server binds to; put a TLS-terminating proxy in front for the internet. */
  INGRESS_HOST: z.string().min(1).default("127.0.0.1"),
  /** Port for the webhooks and /healthz, /readyz (0: any free port). */
  INGRESS_PORT: port(7400),
  /** Bitrix24 outgoing-webhook application token, sent by the portal as auth[application_token]. */
  B24_APPLICATION_TOKEN: secret(
    z
      .string(required("the application token Bitrix24 sends as auth[application_token] (see the portal's outgoing webhook)"))
      .min(8, "too short: copy the full application token from the Bitrix24 outgoing webhook (at least 8 characters)"),
  ),
  /** Signing secret of the 1C extension's notifications (Standard Webhooks, `whsec_` + base64). */
  ONEC_WEBHOOK_SECRET: secret(onecSecret),
  /** Accepted clock difference for `webhook-timestamp`, in seconds: the replay window. */
  ONEC_WEBHOOK_TOLERANCE_S: z.coerce
    .number()
    .int()
    .min(1, "must be at least 1 second")
    .max(3600, "more than an hour widens the replay window; use 300 unless the 1C server's clock drifts")
    .default(300),
  /** Largest request body accepted (413 above); real events are well under 1 KB. */
  INGRESS_BODY_LIMIT: byteSize,
  /**
   * Authenticated events accepted per second from one source (a Bitrix24 portal, the 1C
   * server), per ingress replica; beyond it 429 (the sweeps recover what is refused). 0 = off.
   */
  INGRESS_RATE_PER_SEC: z.coerce.number().min(0).max(100_000).default(50),
  /** Events a source may send at once after a quiet spell. */
  INGRESS_RATE_BURST: z.coerce.number().int().min(1).max(1_000_000).default(500),
});

export type IngressConfig = z.infer<typeof ingressConfigSchema>;

import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { FLOW_NAMES } from "@concord/contracts";

/**
 * The alerts file (CONSOLE_ALERTS_FILE, e.g. config/concord.alerts.yaml): which conditions
 * alert, how often the evaluator looks, and where notices go. Secrets are never in the file:
 * a channel names the environment variable that holds its token or password (`…Env`).
 * Durations are seconds (fractions allowed, so tests can use short ones).
 */
const seconds = z.number().positive();
const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "the name of an environment variable (upper case)");

const ruleBase = { enabled: z.boolean().default(true) };

export const alertRulesSchema = z.strictObject({
  /** An open dead letter whose record has not been applied since: one alert per record. */
  deadLetter: z.strictObject({ ...ruleBase, flows: z.array(z.string().min(1)).optional().describe("only these dead_letters.flow values (default: every flow)") }).optional(),
  /** A durable consumer's oldest waiting (unacknowledged) message older than this. */
  backlogAge: z.strictObject({ ...ruleBase, olderThanSeconds: seconds, consumers: z.array(z.string().min(1)).optional().describe("only these durable names") }).optional(),
  /** Errors (retrying, dead-lettered) among a stage's outcomes in the window, per stage. */
  errorRate: z
    .strictObject({
      ...ruleBase,
      windowSeconds: seconds,
      threshold: z.number().gt(0).max(1).describe("share of errors, 0.2 = 20 %"),
      minOutcomes: z.number().int().min(1).default(20).describe("fewer outcomes in the window never alert"),
    })
    .optional(),
  /** A target's circuit open for longer than this (0: as soon as it opens). */
  circuitOpen: z.strictObject({ ...ruleBase, forSeconds: z.number().min(0).default(0) }).optional(),
  /** No change event on a flow's source subjects for this long (each listed flow is watched). */
  flowSilent: z.strictObject({ ...ruleBase, flows: z.partialRecord(z.enum(FLOW_NAMES), seconds).describe("flow → seconds of silence that alert") }).optional(),
  /** A service's readiness URL failing for longer than this. */
  serviceNotReady: z
    .strictObject({
      ...ruleBase,
      forSeconds: z.number().min(0).default(60),
      timeoutSeconds: seconds.default(3),
      services: z.array(z.strictObject({ name: z.string().min(1).max(64), url: z.url({ protocol: /^https?$/ }) })).min(1),
    })
    .optional(),
  /** A decision (ambiguous match) open longer than this: one alert per decision. */
  decisionWaiting: z.strictObject({ ...ruleBase, olderThanSeconds: seconds }).optional(),
});
export type AlertRules = z.infer<typeof alertRulesSchema>;

const channelBase = { name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, "lower-case letters, digits, - or _") };

export const alertChannelSchema = z.discriminatedUnion("type", [
  z.strictObject({
    ...channelBase,
    type: z.literal("webhook"),
    /** Receives one JSON POST per notice. */
    url: z.url({ protocol: /^https?$/ }),
    /** Environment variable whose value is sent as the `Authorization` header (e.g. `Bearer …`). */
    authorizationEnv: envName.optional(),
  }),
  z.strictObject({
    ...channelBase,
    type: z.literal("telegram"),
    /** Environment variable holding the bot token (from @BotFather). */
    botTokenEnv: envName,
    chatId: z.union([z.string().min(1), z.number().int()]),
    /** Bot API base URL; a local server in tests. */
    apiBase: z.url({ protocol: /^https?$/ }).default("https://api.telegram.org"),
  }),
  z.strictObject({
    ...channelBase,
    type: z.literal("email"),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(587),
    /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
    secure: z.boolean().default(false),
    /** Refuse to send without STARTTLS (set it whenever a password is sent). */
    requireTls: z.boolean().default(false),
    user: z.string().min(1).optional(),
    /** Environment variable holding the SMTP password. */
    passwordEnv: envName.optional(),
    from: z.string().min(3),
    to: z.array(z.string().min(3)).min(1),
  }),
]);
export type AlertChannelConfig = z.infer<typeof alertChannelSchema>;

export const alertsFileSchema = z
  .strictObject({
    version: z.literal(1),
    /** How often the evaluator looks (the lease lasts three times this). */
    intervalSeconds: seconds.default(30),
    /** A still-active alert is notified again at most this often (0: never again). */
    repeatSeconds: z.number().min(0).default(4 * 3600),
    delivery: z
      .strictObject({
        /** Attempts per notice and channel; the last failure is final (recorded as failed). */
        maxAttempts: z.number().int().min(1).max(20).default(5),
        /** Waits before the 2nd, 3rd… attempt; the last value repeats. */
        backoffSeconds: z.array(z.number().min(0)).min(1).default([10, 60, 300, 900]),
        /** Notices per channel per minute; the rest wait their turn (never dropped). */
        maxPerMinute: z.number().int().min(1).default(20),
        timeoutSeconds: seconds.default(10),
      })
      .prefault({}),
    rules: alertRulesSchema,
    channels: z.array(alertChannelSchema).min(1, "name at least one channel, or leave CONSOLE_ALERTS_FILE unset"),
  })
  .refine((f) => new Set(f.channels.map((c) => c.name)).size === f.channels.length, { message: "channel names must be unique", path: ["channels"] });
export type AlertsFile = z.infer<typeof alertsFileSchema>;

/** A channel with its secrets read from the environment. */
export type AlertChannel =
  | (Extract<AlertChannelConfig, { type: "webhook" }> & { authorization?: string })
  | (Extract<AlertChannelConfig, { type: "telegram" }> & { botToken: string })
  | (Extract<AlertChannelConfig, { type: "email" }> & { password?: string });

export interface AlertsSettings extends Omit<AlertsFile, "channels"> {
  channels: AlertChannel[];
}

export class AlertsConfigError extends Error {
  constructor(fileName: string, problems: string[]) {
    super(`Invalid alerts file ${fileName}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "AlertsConfigError";
  }
}

/** Validates the alerts YAML and reads each channel's secret from `env`. Throws AlertsConfigError listing every problem. */
export function parseAlertsConfig(text: string, fileName: string, env: NodeJS.ProcessEnv = process.env): AlertsSettings {
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true });
  } catch (error) {
    throw new AlertsConfigError(fileName, [(error as Error).message]);
  }
  const parsed = alertsFileSchema.safeParse(raw);
  if (!parsed.success) throw new AlertsConfigError(fileName, parsed.error.issues.map((i) => `${i.path.join(".") || "(file)"}: ${i.message}`));
  const problems: string[] = [];
  const secretOf = (variable: string | undefined, where: string, required: boolean): string | undefined => {
    if (variable === undefined) return undefined;
    const value = env[variable];
    if (value === undefined || value === "") {
      if (required) problems.push(`${where}: environment variable ${variable} is not set`);
      return undefined;
    }
    return value;
  };
  const channels = parsed.data.channels.map((c, i): AlertChannel => {
    const where = `channels.${i} (${c.name})`;
    if (c.type === "webhook") return { ...c, authorization: secretOf(c.authorizationEnv, `${where}.authorizationEnv`, true) };
    if (c.type === "telegram") return { ...c, botToken: secretOf(c.botTokenEnv, `${where}.botTokenEnv`, true) ?? "" };
    if (c.passwordEnv && !c.user) problems.push(`${where}: passwordEnv needs user`);
    return { ...c, password: secretOf(c.passwordEnv, `${where}.passwordEnv`, true) };
  });
  if (problems.length > 0) throw new AlertsConfigError(fileName, problems);
  return { ...parsed.data, channels };
}

export function loadAlertsConfig(path: string, env: NodeJS.ProcessEnv = process.env): AlertsSettings {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new AlertsConfigError(path, [`cannot read it: ${(error as Error).message}`]);
  }
  return parseAlertsConfig(text, path, env);
}

/** Every secret value of the channels, for the logger's masking list. */
export function alertSecrets(settings: AlertsSettings): string[] {
  return settings.channels.flatMap((c) => (c.type === "webhook" ? [c.authorization] : c.type === "telegram" ? [c.botToken] : [c.password])).filter((s): s is string => typeof s === "string" && s.length > 0);
}

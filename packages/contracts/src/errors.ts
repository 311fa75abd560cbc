/**
 * Every failure is either retryable (the same call may succeed later) or permanent (it will
 * not, until a person changes something). The kind decides ack, nak or dead-letter.
 */
export type FailureKind = "retryable" | "permanent";

/** business: the target refused the data; pipeline: a target or the bus was unreachable or broken. */
export type FailureClass = "business" | "pipeline";

export interface SyncErrorOptions {
  cause?: unknown;
  retryAfterMs?: number;
  failureClass?: FailureClass;
  /** The target system's own message, already masked. */
  systemMessage?: string;
}

export class SyncError extends Error {
  readonly kind: FailureKind;
  readonly code: string;
  readonly retryAfterMs: number | undefined;
  readonly failureClass: FailureClass;
  readonly systemMessage: string | undefined;

  constructor(kind: FailureKind, code: string, message: string, options: SyncErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "SyncError";
    this.kind = kind;
    this.code = code;
    this.retryAfterMs = options.retryAfterMs;
    this.failureClass = options.failureClass ?? (kind === "retryable" ? "pipeline" : "business");
    this.systemMessage = options.systemMessage;
  }
}

export function retryable(code: string, message: string, options?: SyncErrorOptions): SyncError {
  return new SyncError("retryable", code, message, options);
}

export function permanent(code: string, message: string, options?: SyncErrorOptions): SyncError {
  return new SyncError("permanent", code, message, options);
}

/**
 * Not a failure: the message waits for a person's decision (an ambiguous business-key match), or
 * for the other side's claim on the same customer to settle.
 * The consumer keeps it in the stream and looks again every `retryAfterMs`, without counting it
 * against the retry budget, and never dead-letters it.
 */
export class HeldForDecision extends Error {
  readonly decisionId: number | null;
  readonly retryAfterMs: number;
  constructor(decisionId: number | null, message: string, retryAfterMs = 10_000) {
    super(message);
    this.name = "HeldForDecision";
    this.decisionId = decisionId;
    this.retryAfterMs = retryAfterMs;
  }

  /** `what` (a record, or a command that needs it) waits for a decision opened elsewhere. */
  static awaiting(what: string): HeldForDecision {
    return new HeldForDecision(null, `${what} waits for a person's decision (concord decisions list)`);
  }
}

export function isHeld(error: unknown): error is HeldForDecision {
  return error instanceof HeldForDecision;
}

export function isSyncError(error: unknown): error is SyncError {
  return error instanceof SyncError;
}

/** Retry-After as seconds or an HTTP date, in milliseconds. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

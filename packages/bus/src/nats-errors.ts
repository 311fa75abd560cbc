import {
  AuthorizationError,
  ClosedConnectionError,
  ConnectionError,
  DrainingConnectionError,
  NoRespondersError,
  PermissionViolationError,
  RequestError,
  TimeoutError,
  UserAuthenticationExpiredError,
} from "@nats-io/nats-core";
import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import type { ErrorCode } from "@concord/contracts";

/** JetStream's err_code for "stream name already in use" (not among the client's named codes). */
const STREAM_NAME_EXIST = 10058;

/**
 * The catalog code of a NATS or JetStream failure, told by its error class and JetStream's
 * numeric `err_code` — never by message text, which changes between server and client versions.
 * Null when the value is not a NATS error.
 */
export function natsErrorCode(error: unknown): ErrorCode | null {
  if (error instanceof JetStreamApiError) {
    switch (error.code) {
      case JetStreamApiCodes.ConsumerNotFound:
        return "JS_CONSUMER_NOT_FOUND";
      case JetStreamApiCodes.StreamNotFound:
        return "JS_STREAM_NOT_FOUND";
      case JetStreamApiCodes.JetStreamNotEnabledForAccount:
        return "JS_NOT_ENABLED";
      case JetStreamApiCodes.StreamWrongLastSequence:
      case JetStreamApiCodes.StreamWrongLastSequenceUnknown:
        return "JS_WRONG_LAST_SEQUENCE";
      case JetStreamApiCodes.NoMessageFound:
        return "JS_NO_MESSAGE";
      case STREAM_NAME_EXIST:
        return "JS_STREAM_EXISTS";
      default:
        return "JS_API";
    }
  }
  if (error instanceof TimeoutError) return "NATS_TIMEOUT";
  if (error instanceof NoRespondersError) return "NATS_NO_RESPONDERS";
  if (error instanceof PermissionViolationError) return "NATS_PERMISSION";
  if (error instanceof AuthorizationError || error instanceof UserAuthenticationExpiredError) return "NATS_AUTH";
  if (error instanceof ClosedConnectionError || error instanceof DrainingConnectionError || error instanceof ConnectionError) return "NATS_CONNECTION";
  // A failed request wraps the reason (timeout, no responders) as its cause.
  if (error instanceof RequestError) return natsErrorCode((error as Error & { cause?: unknown }).cause) ?? "NATS_CONNECTION";
  return null;
}

/** JetStream said the consumer (10014) or stream (10059) does not exist. */
export function isJetStreamNotFound(error: unknown): boolean {
  const code = natsErrorCode(error);
  return code === "JS_CONSUMER_NOT_FOUND" || code === "JS_STREAM_NOT_FOUND";
}

import type { Logger } from "./logger";
import { masker } from "./masking";

/** An error as one masked line of text with its stack: what may reach stderr. */
export function maskedErrorText(error: unknown): string {
  const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  return masker.text(text);
}

/**
 * Uncaught exceptions and unhandled rejections go to the log, masked, never as a raw stack on
 * stderr (node's default): a stack can hold a URL with a token or a password in a message.
 */
export function installProcessHandlers(logger: Logger, exit: (code: number) => void = (code) => process.exit(code)): void {
  process.on("unhandledRejection", (error) => logger.error("unhandled rejection", { error }));
  process.on("uncaughtException", (error) => {
    logger.error("uncaught exception", { error });
    exit(1);
  });
}

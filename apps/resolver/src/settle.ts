import type { ChangeEvent } from "@concord/contracts";

/**
 * Bitrix24 stamps events in whole seconds, so edits in one second share a dedupe id: read the
 * record only after the event's second is over (plus `settleMs`), and the one processed event
 * sees every edit of that second. At most 5 s, so a clock-skewed event cannot stall a handler.
 */
export async function waitForEventSecond(event: ChangeEvent, settleMs: number, now: () => number = Date.now): Promise<void> {
  if (event.system !== "bitrix24" || (event.via !== "webhook" && event.via !== "offline")) return;
  const readableAt = Date.parse(event.occurredAt) + 1_000 + settleMs;
  if (readableAt > now()) await new Promise((resolve) => setTimeout(resolve, Math.min(readableAt - now(), 5_000)));
}

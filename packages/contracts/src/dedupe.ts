import type { ChangeEvent } from "./events";
import type { CrmCommand, OnecCommand } from "./commands";
import type { Outcome } from "./outcomes";
import { formatRef } from "./systems";
import { contentHash } from "./stable-hash";

/**
 * JetStream dedupe ids (`Nats-Msg-Id`). Derived from content only, never random, so a message
 * sent again — a repeated webhook, a resolver redelivery, a writer retry — gets the same id
 * and is stored once within the stream's duplicate window.
 */

/** The same change seen twice (webhook + sweep, or a repeated delivery) gets the same id. */
export function changeEventId(event: Pick<ChangeEvent, "system" | "entity" | "sourceId" | "action" | "sourceVersion">): string {
  return `chg:${event.system}:${event.entity}:${event.sourceId}:${event.action}:${event.sourceVersion}`;
}

/**
 * A command is identified by what it mirrors, from which source state, with which content:
 * re-issuing it for the same state is a duplicate; A → B → A at different times are three.
 */
export function commandId(command: OnecCommand): string {
  return `cmd:${command.type}:${formatRef(command.source)}:${command.sourceVersion.modifiedAt}:${command.contentHash}${dryRunSuffix(command)}`;
}

export function crmCommandId(command: CrmCommand): string {
  if (command.type === "bitrix24.deal.link") return `cmd:${command.type}:${command.dealId}:${contentHash([command.originatorId, command.originId])}${dryRunSuffix(command)}`;
  if (command.type === "bitrix24.deal.compensate") return `cmd:${command.type}:${command.dealId}:${command.failedMessageId}`;
  if (command.type === "bitrix24.deal.status") return `cmd:${command.type}:${command.dealId}:${contentHash([command.field, command.text, command.comment, command.cause])}`;
  if (command.type === "bitrix24.deal.update") return `cmd:${command.type}:${command.dealId}:${command.sourceVersion.modifiedAt}:${command.contentHash}${dryRunSuffix(command)}`;
  return `cmd:${command.type}:${formatRef(command.source)}:${command.sourceVersion.modifiedAt}:${command.contentHash}${dryRunSuffix(command)}`;
}

/**
 * The content hash a command id ends with (`commandId`, and crmCommandId but for links,
 * compensations and statuses): what an outcome's `messageId` says about the content handled.
 */
export function commandContentHash(messageId: string): string | null {
  const hash = messageId.replace(/:dry-run$/, "").split(":").pop() ?? "";
  return messageId.startsWith("cmd:") && /^[0-9a-f]{32}$/.test(hash) ? hash : null;
}

/**
 * A command decided in dry-run has an id of its own: the same write decided live after the
 * switch must not be taken for its duplicate by the stream.
 */
function dryRunSuffix(command: { dryRun?: unknown }): string {
  return command.dryRun ? ":dry-run" : "";
}

export function outcomeId(outcome: Pick<Outcome, "stage" | "messageId" | "result" | "attempts">): string {
  return `out:${outcome.stage}:${outcome.messageId}:${outcome.result}:${outcome.attempts}`;
}

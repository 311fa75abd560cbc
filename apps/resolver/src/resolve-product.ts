import {
  OnecSnapshotReplySchema,
  SchemaVersions,
  changeEventId,
  contentHash,
  crmCommandId,
  type ChangeEvent,
  type CrmProductUpsert,
  type OutcomeResult,
} from "@concord/contracts";
import { publishJson, reportOutcome, requestRpc, type MessageContext } from "@concord/bus";
import type { ResolverDeps } from "./resolve-deal";
import { readDecisionModes } from "./dry-run";

/**
 * 1C is the master of products: an edit of a 1C product that the CRM already mirrors updates
 * the CRM product. Products unknown to the CRM are created when an order first uses them.
 */
export function createProductResolver(deps: ResolverDeps) {
  const { bus, subjects, mapping, logger, policy } = deps;
  return async function resolveProduct(event: ChangeEvent, context: MessageContext): Promise<void> {
    const started = Date.now();
    const messageId = context.msgId ?? changeEventId(event);
    const ref = { system: "onec" as const, entity: "product" as const, id: event.sourceId.toLowerCase() };
    const report = (result: OutcomeResult, detail: string) =>
      reportOutcome(bus.js, subjects, { stage: "resolver", messageId, subject: ref, target: null, result, detail, attempts: context.deliveryCount, durationMs: Date.now() - started }, logger);
    const pair = await mapping.resolve(ref, "bitrix24");
    if (!policy.flows.product.erpToCrm || pair?.state !== "confirmed" || event.action === "delete") {
      await report("skipped", pair?.state === "confirmed" ? "product deletes are not propagated" : "product not in the CRM yet (created when an order first uses it)");
      return;
    }
    const snapshot = await requestRpc(bus.nc, subjects.rpc.onecSnapshot, { v: 1, type: "onec-snapshot-request", entity: "product", ref: ref.id }, OnecSnapshotReplySchema, 30_000);
    if (snapshot.type !== "onec-product-snapshot") {
      await report("skipped", "the 1C product no longer exists");
      return;
    }
    const { product } = snapshot;
    const readAt = snapshot.fetchedAt;
    const modes = await readDecisionModes(deps.modes, ["products"], ref, event.action);
    await modes.confirm();
    const command: CrmProductUpsert = {
      v: 1,
      type: "bitrix24.product.upsert",
      source: ref,
      // 1C products have no modification time: observed at the event's arrival (the NATS server's clock).
      sourceVersion: { modifiedAt: context.storedAt, fetchedAt: readAt },
      issuedAt: readAt,
      name: product.name,
      sku: product.sku,
      contentHash: contentHash([product.name, product.sku]),
      ...modes.field("products"),
    };
    await publishJson(bus.js, subjects.command("bitrix24", "product"), command, { msgId: crmCommandId(command), schema: SchemaVersions.crmCommand });
    const dryRun = modes.isDryRun("products");
    await report(dryRun ? "dry-run" : "commanded", `${dryRun ? "decided in dry-run (the writer records the would-be write): " : ""}CRM product to carry the 1C name "${product.name}"`);
  };
}

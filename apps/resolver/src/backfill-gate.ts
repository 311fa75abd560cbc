import { z } from "zod";
import { connectBus, openStateStore } from "@concord/bus";
import { createSubjects } from "@concord/contracts";
import type { Policy } from "@concord/policy";

/**
 * The flows' gate: with RESOLVER_REQUIRE_BACKFILL the resolver starts only when every entity an
 * enabled flow touches has had its backfill applied or explicitly skipped — what `concord
 * backfill --apply` / `concord backfill --skip --reason …` record in NATS KV `<NS>_STATE`, key
 * `backfill.<entity>` (packages/go-live run.ts). Without it, the first deal of a company that
 * exists in 1C is matched by the live flow one at a time, and nobody has reviewed the rest.
 */
export const BackfillGateSchema = z.object({ status: z.enum(["applied", "skipped"]), at: z.string(), by: z.string() });

/** Orders reference customers and products: an order flow needs all three. */
export function entitiesOfFlows(policy: Policy): Array<"customers" | "products" | "orders"> {
  const { order, customer, product } = policy.flows;
  const orders = order.crmToErp || order.erpToCrm;
  const out = new Set<"customers" | "products" | "orders">();
  if (orders) ["orders", "customers", "products"].forEach((e) => out.add(e as "orders"));
  if (customer.crmToErp || customer.erpToCrm) out.add("customers");
  if (product.erpToCrm) out.add("products");
  return [...out];
}

/** The entities whose backfill is neither applied nor skipped (empty: the flows may start). */
export async function missingBackfills(natsUrl: string, namespace: string, policy: Policy): Promise<string[]> {
  const bus = await connectBus(natsUrl, "resolver-backfill-gate");
  try {
    const state = await openStateStore(bus, createSubjects(namespace));
    const missing: string[] = [];
    for (const entity of entitiesOfFlows(policy)) {
      const entry = await state.getJson<unknown>(`backfill.${entity}`);
      if (!BackfillGateSchema.safeParse(entry?.value).success) missing.push(entity);
    }
    return missing;
  } finally {
    await bus.nc.close();
  }
}

import type { Master, Policy } from "./schema";

export type PolicyEntity = "order" | "customer" | "product";

/**
 * The system that owns `field` of `entity`: the per-field override if there is one (switching
 * on whether the 1C order is posted, where configured), else the entity's default master.
 * Unknown field names get the default master; the policy file itself only accepts known ones.
 */
export function masterOf(policy: Policy, entity: PolicyEntity, field: string, ctx: { posted: boolean }): Master {
  switch (entity) {
    case "order": {
      const { master, fields } = policy.ownership.order;
      const owner = Object.hasOwn(fields, field) ? fields[field as keyof typeof fields] : undefined;
      if (owner === undefined) return master;
      if (typeof owner === "string") return owner;
      return ctx.posted ? owner.afterPosting : owner.beforePosting;
    }
    case "customer": {
      const { master, fields } = policy.ownership.customer;
      const owner = Object.hasOwn(fields, field) ? fields[field as keyof typeof fields] : undefined;
      return owner ?? master;
    }
    case "product":
      return policy.ownership.product.master;
  }
}

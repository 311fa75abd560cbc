import { permanent, type OnecOrderLine } from "@concord/contracts";
import { odataString, type OnecClient } from "@concord/onec-client";
import { OnecSets } from "./projection";

const TTL_MS = 60_000;

/** Finds Catalog_Номенклатура items by article (Артикул); 1C is the master of products. */
export function createProductLookup(client: OnecClient) {
  const cache = new Map<string, { ref: string; at: number }>();

  async function find(sku: string): Promise<string | null> {
    const hit = cache.get(sku);
    if (hit && Date.now() - hit.at < TTL_MS) return hit.ref;
    const found = await client.list(OnecSets.product, { filter: `Артикул eq ${odataString(sku)} and DeletionMark eq false`, select: ["Ref_Key"], top: 2 });
    const ref = found[0]?.Ref_Key ?? null;
    if (ref) cache.set(sku, { ref, at: Date.now() });
    return ref;
  }

  /** Ref_Key per SKU; any unknown SKU is a permanent error naming every missing product. */
  return async function resolveProducts(lines: readonly OnecOrderLine[]): Promise<Map<string, string>> {
    const refs = new Map<string, string>();
    const missing: string[] = [];
    for (const line of lines) {
      if (refs.has(line.sku)) continue;
      const ref = await find(line.sku);
      if (ref) refs.set(line.sku, ref);
      else missing.push(`${line.sku} (${line.name})`);
    }
    if (missing.length > 0) {
      throw permanent("PRODUCT_NOT_FOUND", `no Catalog_Номенклатура item with Артикул ${missing.join(", ")}`);
    }
    return refs;
  };
}

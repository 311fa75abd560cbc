import { permanent } from "@concord/contracts";
import { hasPipelinePrefix, stripPipelinePrefix } from "./schema";
import type { OnecStatus, Policy } from "./schema";

/**
 * The 1C `Статус` for a CRM stage: the exact stage id first (`C1:WON`), then the stage
 * without its pipeline prefix (`WON`), so one entry can serve every pipeline.
 * An unmapped stage is a permanent STATUS_UNMAPPED error: retrying will not map it.
 */
export function stageToStatus(policy: Policy, stageId: string): OnecStatus {
  const map = policy.statusMap.crmToErp;
  const status = lookup(map, stageId) ?? lookup(map, stripPipelinePrefix(stageId));
  if (status === undefined) {
    throw permanent(
      "STATUS_UNMAPPED",
      `CRM stage "${stageId}" has no 1C Статус in statusMap.crmToErp; add it to the policy file`,
    );
  }
  return status;
}

/**
 * The CRM stage for a 1C `Статус`. An unprefixed stage is placed in the deal's pipeline
 * (`categoryId` other than 0 → `C<id>:STAGE`); a stage mapped with a prefix is used as is.
 */
export function statusToStage(policy: Policy, status: string, categoryId?: string | number): string {
  const stage = lookup(policy.statusMap.erpToCrm, status);
  if (stage === undefined) {
    throw permanent(
      "STATUS_UNMAPPED",
      `1C Статус "${status}" has no CRM stage in statusMap.erpToCrm; add it to the policy file`,
    );
  }
  const category = categoryId === undefined ? "" : String(categoryId).trim();
  if (category === "" || category === "0" || hasPipelinePrefix(stage)) return stage;
  if (!/^\d+$/.test(category)) {
    throw permanent("CATEGORY_INVALID", `deal pipeline (CATEGORY_ID) "${category}" is not a number`);
  }
  return `C${category}:${stage}`;
}

/** Own keys only: a stage called `constructor` must not find Object.prototype. */
function lookup<V>(map: Partial<Record<string, V>>, key: string): V | undefined {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}

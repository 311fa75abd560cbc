import type { Entity, FlowName, System } from "@concord/contracts";

interface Kind {
  system: System;
  entity: Entity;
}

/**
 * The records whose change events feed each flow (its own source side). An exchange-log row,
 * a dead letter or a decision is about a source record, so its (system, entity) names its flow.
 */
export const flowSources: Record<FlowName, readonly Kind[]> = {
  "orders.crmToOnec": [{ system: "bitrix24", entity: "deal" }],
  "orders.onecToCrm": [{ system: "onec", entity: "order" }],
  customers: [
    { system: "bitrix24", entity: "company" },
    { system: "bitrix24", entity: "contact" },
    { system: "onec", entity: "counterparty" },
  ],
  products: [{ system: "onec", entity: "product" }],
};

/**
 * The commands each flow's writers take (their subject's system and entity). A command names
 * its source record, which is the better guide; these are for a command that does not.
 */
export const flowCommands: Record<FlowName, readonly Kind[]> = {
  "orders.crmToOnec": [{ system: "onec", entity: "order" }],
  "orders.onecToCrm": [{ system: "bitrix24", entity: "deal" }],
  customers: [
    { system: "onec", entity: "counterparty" },
    { system: "onec", entity: "partner" },
    { system: "bitrix24", entity: "company" },
    { system: "bitrix24", entity: "contact" },
  ],
  products: [{ system: "bitrix24", entity: "product" }],
};

/** The targets a flow writes to: while one's circuit is open, the flow's writes there wait. */
export const flowTargets: Record<FlowName, readonly System[]> = {
  "orders.crmToOnec": ["onec"],
  "orders.onecToCrm": ["bitrix24"],
  customers: ["onec", "bitrix24"],
  products: ["bitrix24"],
};

const byKind = <T extends Record<FlowName, readonly Kind[]>>(table: T) => {
  const map = new Map<string, FlowName>();
  for (const [flow, kinds] of Object.entries(table) as Array<[FlowName, readonly Kind[]]>) for (const k of kinds) map.set(`${k.system}.${k.entity}`, flow);
  return (system: string | null | undefined, entity: string | null | undefined): FlowName | null => map.get(`${system}.${entity}`) ?? null;
};

/** The flow a source record's kind feeds (`bitrix24`, `deal` → orders.crmToOnec); null for a kind no flow starts from. */
export const flowOfSource = byKind(flowSources);

/** The flow a command's subject kind belongs to when the command does not name its source. */
export const flowOfCommand = byKind(flowCommands);

import { defaultPolicyPath, loadPolicy, masterOf } from "./index";
import type { PolicyEntity } from "./index";

const policy = loadPolicy(defaultPolicyPath);

describe("masterOf", () => {
  const table: [PolicyEntity, string, boolean, "crm" | "erp"][] = [
    ["order", "customer", false, "crm"],
    ["order", "customer", true, "crm"],
    ["order", "lines", true, "crm"],
    ["order", "title", true, "crm"],
    ["order", "status", false, "crm"],
    ["order", "status", true, "erp"],
    ["order", "amount", false, "crm"],
    ["order", "amount", true, "erp"],
    ["order", "number", false, "erp"],
    ["order", "posted", false, "erp"],
    ["order", "paymentState", false, "erp"],
    ["order", "shipmentState", true, "erp"],
    ["order", "manager", true, "crm"], // not listed: the order's default master
    ["order", "constructor", false, "crm"], // never a prototype property
    ["customer", "name", false, "crm"],
    ["customer", "inn", false, "erp"],
    ["customer", "kpp", true, "erp"],
    ["customer", "email", false, "crm"],
    ["customer", "address", false, "crm"],
    ["product", "price", false, "erp"],
    ["product", "name", true, "erp"],
  ];

  it.each(table)("%s.%s (posted: %s) → %s", (entity, field, posted, expected) => {
    expect(masterOf(policy, entity, field, { posted })).toBe(expected);
  });

  it("uses the entity's default master when no field is listed", () => {
    const erpOwned = { ...policy, ownership: { ...policy.ownership, order: { master: "erp" as const, fields: {} } } };
    expect(masterOf(erpOwned, "order", "status", { posted: false })).toBe("erp");
  });
});

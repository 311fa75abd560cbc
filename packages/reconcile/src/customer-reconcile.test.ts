import { defaultPolicyPath, loadPolicy } from "@concord/policy";
import { reconcileCustomer, type CustomerView } from "./customer-reconcile";

const policy = loadPolicy(defaultPolicyPath);
const crm: CustomerView = { name: "ООО Ромашка", inn: "7701234567", kpp: "770101001", kind: "ЮрЛицо", email: "a@b.ru", phone: null };

describe("reconcileCustomer", () => {
  it("sends CRM-owned fields to 1C and 1C-owned INN/KPP to the CRM", () => {
    const d = reconcileCustomer({ crm: { ...crm, name: "ООО Ромашка+" }, onec: { ...crm, inn: "7709999999" }, last: { crm, onec: crm }, policy });
    expect(d.toOnec).toEqual({ name: "ООО Ромашка+" });
    expect(d.toCrm).toEqual({ inn: "7709999999" });
  });

  it("lets a CRM company agree with an individual entrepreneur in 1C and never writes 1C's legal form to the CRM", () => {
    expect(reconcileCustomer({ crm, onec: { ...crm, kind: "ИндивидуальныйПредприниматель" }, last: { crm: null, onec: null }, policy }).toOnec).toEqual({});
    const contact = reconcileCustomer({ crm: { ...crm, kind: "ФизЛицо" }, onec: crm, last: { crm: null, onec: null }, policy });
    expect(contact.toOnec).toEqual({ kind: "ФизЛицо" });
    expect(contact.toCrm).toEqual({});
  });

  it("records a conflict when the name changed on both sides; the CRM wins", () => {
    const d = reconcileCustomer({ crm: { ...crm, name: "A" }, onec: { ...crm, name: "B" }, last: { crm, onec: crm }, policy });
    expect(d.conflicts).toEqual([expect.objectContaining({ field: "name", winner: "bitrix24" })]);
    expect(d.toOnec).toEqual({ name: "A" });
  });

  it("treats an empty and a missing e-mail as the same", () => {
    expect(reconcileCustomer({ crm: { ...crm, email: null }, onec: { ...crm, email: "" }, last: { crm: null, onec: null }, policy }).toOnec).toEqual({});
  });
});

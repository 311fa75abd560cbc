import { masterOf, type Policy } from "@concord/policy";
import type { CrmCustomerSnapshot, OnecCounterparty } from "@concord/contracts";
import type { SyncPoint } from "./pair-state";
import { reconcileFields, type FieldDecision } from "./reconcile-fields";

/** A customer as one side shows it: a CRM company/contact, a 1C counterparty. */
export interface CustomerView {
  name: string;
  inn: string;
  kpp: string;
  kind: string;
  email: string | null;
  phone: string | null;
}
export const customerFields = ["name", "inn", "kpp", "kind", "email", "phone"] as const;
export type CustomerField = (typeof customerFields)[number];

export function crmCustomerView(snapshot: CrmCustomerSnapshot): CustomerView {
  const c = snapshot.customer;
  return { name: c.name, inn: c.inn, kpp: c.kpp, kind: c.kind === "company" ? "ЮрЛицо" : "ФизЛицо", email: c.email, phone: c.phone };
}

export function onecCustomerView(c: OnecCounterparty): CustomerView {
  return { name: c.name, inn: c.inn, kpp: c.kpp, kind: c.kind, email: c.email, phone: c.phone };
}

/** 1C legal forms that a CRM company stands for. */
const companyForms = new Set(["ЮрЛицо", "ИндивидуальныйПредприниматель", "ЮрЛицоНеРезидент"]);

/**
 * One customer pair under the policy (by default the CRM owns name, kind and contacts, 1C owns
 * INN and KPP). A company never turns into a contact, so 1C's legal form is never written to
 * the CRM; a CRM company agrees with any 1C legal-entity form.
 */
export function reconcileCustomer(input: { crm: CustomerView; onec: CustomerView; last: SyncPoint<CustomerView>; policy: Policy }): FieldDecision<CustomerField, CustomerView> {
  const { policy } = input;
  const flows = policy.flows.customer;
  return reconcileFields<CustomerField, CustomerView>(
    {
      fields: customerFields,
      masterOf: (field) => masterOf(policy, "customer", field, { posted: false }),
      agree: (field, crm, onec) => (field === "kind" ? crm === onec || (crm === "ЮрЛицо" && companyForms.has(String(onec))) : (crm ?? "") === (onec ?? "")),
      toOnec: (field, crm) => (flows.crmToErp ? crm[field] : undefined),
      toCrm: (field, onec) => (field === "kind" || !flows.erpToCrm ? undefined : onec[field]),
      rule: (field, master) => `ownership.customer.${field} = ${master}`,
    },
    input.crm,
    input.onec,
    input.last,
  );
}

import type { SyncState } from "@concord/contracts";
import { learnStoredForms, type PairState } from "./pair-state";
import { reconcileFields, type FieldRules } from "./reconcile-fields";

interface View {
  name: string;
  phone: string | null;
}
const fields = ["name", "phone"] as const;
const rules: FieldRules<keyof View & string, View & Record<string, unknown>> = {
  fields,
  masterOf: () => "crm",
  agree: (_f, a, b) => a === b,
  toOnec: (f, crm) => crm[f],
  toCrm: (f, onec) => onec[f],
  rule: (f) => `ownership.customer.${f} = crm`,
};

const long = "О".repeat(130);
const cut = "О".repeat(100);
const state = (values: Record<string, unknown> | null): PairState<View> => {
  const row = (v: Record<string, unknown> | null): SyncState | null => (v ? { mappingId: 1, side: "onec", lastVersion: null, lastHash: "h", values: v, updatedAt: "" } : null);
  const { $written: _w, $sent: sent, ...view } = values ?? {};
  return { crm: null, onec: row(values), last: { crm: { name: long, phone: "1" }, onec: values ? (view as unknown as View) : null, sentToOnec: sent as Partial<View> | undefined } };
};

describe("stored forms: the target has the last word on a value", () => {
  it("takes what 1C reads back after Concord's write as its form of the value sent, so nothing is written again", () => {
    const s = state({ name: long, phone: "1", $written: { dataVersion: "v2" } });
    const current = { name: cut, phone: "1" };
    const { last, learned } = learnStoredForms(s, "v2", current);
    expect(learned).toEqual(["name"]);
    expect(last.sentToOnec).toEqual({ name: long });
    const decision = reconcileFields(rules, { name: long, phone: "1" }, current, last);
    expect(decision.toOnec).toEqual({});
    expect(decision.conflicts).toEqual([]);
  });

  it("learns nothing when 1C changed after Concord's write: a person's edit is a change, and the master's value is written", () => {
    const s = state({ name: long, phone: "1", $written: { dataVersion: "v2" } });
    const { last, learned } = learnStoredForms(s, "v3", { name: "Другое", phone: "1" });
    expect(learned).toEqual([]);
    expect(reconcileFields(rules, { name: long, phone: "1" }, { name: "Другое", phone: "1" }, last).toOnec).toEqual({ name: long });
  });

  it("writes again when the master's value changes, or when 1C's stored form is edited", () => {
    const learned = learnStoredForms(state({ name: long, phone: "1", $written: { dataVersion: "v2" } }), "v2", { name: cut, phone: "1" }).last;
    expect(reconcileFields(rules, { name: `${long}!`, phone: "1" }, { name: cut, phone: "1" }, learned).toOnec).toEqual({ name: `${long}!` });
    expect(reconcileFields(rules, { name: long, phone: "1" }, { name: "Ручная правка", phone: "1" }, learned).toOnec).toEqual({ name: long });
  });

  it("keeps a learned form across later syncs of other fields (sync state's $sent)", () => {
    const s = state({ name: cut, phone: "2", $written: { dataVersion: "v5" }, $sent: { name: long } });
    const { last } = learnStoredForms(s, "v5", { name: cut, phone: "2" });
    expect(reconcileFields(rules, { name: long, phone: "2" }, { name: cut, phone: "2" }, last).toOnec).toEqual({});
  });
});

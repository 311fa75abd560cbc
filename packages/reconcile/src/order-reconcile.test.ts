import fc from "fast-check";
import { defaultPolicyPath, loadPolicy, stageToStatus, statusToStage } from "@concord/policy";
import { reconcileOrder } from "./order-reconcile";
import type { OrderView } from "./order-view";

const policy = loadPolicy(defaultPolicyPath);

const crmBase: OrderView = { title: "Мебель", status: "EXECUTING", customer: "company:9", lines: "SKU-001×2@500.00", number: "ТД00-000001", posted: false, paymentState: "НеОплачен", shipmentState: "НеОтгружен" };
const onecBase: OrderView = { ...crmBase, status: "КОбеспечению" };

const decide = (crm: OrderView, onec: OrderView, last: { crm: OrderView | null; onec: OrderView | null } = { crm: crmBase, onec: onecBase }) =>
  reconcileOrder({ crm, onec, last, policy, categoryId: "0" });

describe("reconcileOrder", () => {
  it("does nothing when both sides agree (our own write coming back is an echo)", () => {
    const d = decide(crmBase, onecBase);
    expect(d.toOnec).toEqual({});
    expect(d.toCrm).toEqual({});
    expect(d.conflicts).toEqual([]);
  });

  it("sends a CRM edit of a CRM-owned field to 1C only", () => {
    const d = decide({ ...crmBase, title: "Новое", status: "FINAL_INVOICE" }, onecBase);
    expect(d.toOnec).toEqual({ title: "Новое", status: "КОтгрузке" });
    expect(d.toCrm).toEqual({});
    expect(d.next.onec).toMatchObject({ title: "Новое", status: "КОтгрузке" });
  });

  it("sends 1C-owned values (number, posting, payment, shipment) to the deal only", () => {
    const d = decide(crmBase, { ...onecBase, number: "ТД00-000777", paymentState: "Оплачен" });
    expect(d.toCrm).toEqual({ number: "ТД00-000777", paymentState: "Оплачен" });
    expect(d.toOnec).toEqual({});
  });

  it("reverts a 1C edit of a CRM-owned field (the master wins) without calling it a conflict", () => {
    const d = decide(crmBase, { ...onecBase, title: "Изменено в 1С" });
    expect(d.toOnec).toEqual({ title: "Мебель" });
    expect(d.conflicts).toEqual([]);
  });

  it("records a conflict when a field changed on both sides, resolved by ownership", () => {
    const d = decide({ ...crmBase, title: "CRM" }, { ...onecBase, title: "1C" });
    expect(d.toOnec).toEqual({ title: "CRM" });
    expect(d.conflicts).toEqual([expect.objectContaining({ field: "title", crmValue: "CRM", onecValue: "1C", winner: "bitrix24" })]);
  });

  it("hands the status to 1C once the order is posted", () => {
    const posted = { ...onecBase, posted: true, status: "КОтгрузке" };
    const d = decide({ ...crmBase, posted: true, status: "EXECUTING" }, posted, { crm: { ...crmBase, posted: true }, onec: { ...onecBase, posted: true } });
    expect(d.toCrm).toEqual({ status: "FINAL_INVOICE" });
    expect(d.toOnec).toEqual({});
  });

  it("treats lossy status maps as agreement in either direction", () => {
    expect(decide({ ...crmBase, status: "PREPARATION" }, { ...onecBase, status: "НеСогласован" }, { crm: null, onec: null }).toOnec).toEqual({});
  });

  it("refuses an unmapped 1C status when 1C owns the status, naming it", () => {
    const posted = { ...onecBase, posted: true, status: "Неизвестный" };
    expect(() => decide({ ...crmBase, posted: true }, posted)).toThrow(expect.objectContaining({ code: "STATUS_UNMAPPED", message: expect.stringContaining("Неизвестный") }));
  });

  it("keeps pipeline prefixes when mapping 1C statuses back", () => {
    const d = reconcileOrder({ crm: { ...crmBase, status: "C2:EXECUTING", posted: true }, onec: { ...onecBase, posted: true, status: "КОтгрузке" }, last: { crm: null, onec: null }, policy, categoryId: "2" });
    expect(d.toCrm.status).toBe("C2:FINAL_INVOICE");
  });
});

describe("reconcileOrder properties", () => {
  const stages = ["NEW", "PREPARATION", "EXECUTING", "FINAL_INVOICE", "WON"];
  const statuses = ["НеСогласован", "Согласован", "КОбеспечению", "КОтгрузке", "Закрыт"];
  const view = (statusPool: string[]) =>
    fc.record({
      title: fc.constantFrom("A", "B", "C"),
      status: fc.constantFrom(...statusPool),
      customer: fc.constantFrom("company:1", "company:2", null),
      lines: fc.constantFrom("SKU-001×1@1.00", "SKU-002×2@2.00"),
      number: fc.constantFrom("N1", "N2", null),
      posted: fc.boolean(),
      paymentState: fc.constantFrom("НеОплачен", "Оплачен", null),
      shipmentState: fc.constantFrom("НеОтгружен", "Отгружен", null),
    });

  it("converges: after applying the writes, a second pass writes nothing (no write loop)", () => {
    fc.assert(
      fc.property(view(stages), view(statuses), fc.option(view(stages), { nil: null }), fc.option(view(statuses), { nil: null }), (crm, onec, lastCrm, lastOnec) => {
        const first = reconcileOrder({ crm, onec, last: { crm: lastCrm, onec: lastOnec }, policy, categoryId: "0" });
        const second = reconcileOrder({ crm: first.next.crm, onec: first.next.onec, last: first.next, policy, categoryId: "0" });
        expect(second.toOnec).toEqual({});
        expect(second.toCrm).toEqual({});
        expect(second.conflicts).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it("after the writes, every synced field agrees on both sides and follows its master", () => {
    fc.assert(
      fc.property(view(stages), view(statuses), (crm, onec) => {
        const { next } = reconcileOrder({ crm, onec, last: { crm: null, onec: null }, policy, categoryId: "0" });
        for (const field of ["title", "customer", "lines", "number", "posted", "paymentState", "shipmentState"] as const) expect(next.crm[field]).toEqual(next.onec[field]);
        const agrees = stageToStatus(policy, next.crm.status) === next.onec.status || statusToStage(policy, next.onec.status, "0") === next.crm.status;
        expect(agrees).toBe(true);
        if (onec.posted) expect(next.onec.status).toBe(onec.status); // 1C owns the status after posting
        else expect(next.crm.status).toBe(crm.status); // the CRM owns it before
      }),
      { numRuns: 500 },
    );
  });

  it("reports a conflict only for fields that changed on both sides", () => {
    fc.assert(
      fc.property(view(stages), view(statuses), view(stages), view(statuses), (crm, onec, lastCrm, lastOnec) => {
        const d = reconcileOrder({ crm, onec, last: { crm: lastCrm, onec: lastOnec }, policy, categoryId: "0" });
        for (const c of d.conflicts) {
          expect(crm[c.field]).not.toEqual(lastCrm[c.field]);
          expect(onec[c.field]).not.toEqual(lastOnec[c.field]);
        }
      }),
      { numRuns: 500 },
    );
  });
});

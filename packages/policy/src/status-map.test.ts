import { readFileSync } from "node:fs";
import { isSyncError } from "@concord/contracts";
import { defaultPolicyPath, loadPolicy, parsePolicy, stageToStatus, statusToStage } from "./index";

const policy = loadPolicy(defaultPolicyPath);

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("stageToStatus", () => {
  it.each([
    ["NEW", "НеСогласован"],
    ["PREPARATION", "НеСогласован"],
    ["PREPAYMENT_INVOICE", "Согласован"],
    ["EXECUTING", "КОбеспечению"],
    ["FINAL_INVOICE", "КОтгрузке"],
    ["WON", "Закрыт"],
    ["LOSE", "Закрыт"],
    ["C1:EXECUTING", "КОбеспечению"],
    ["C12:WON", "Закрыт"],
  ])("%s → %s", (stage, status) => {
    expect(stageToStatus(policy, stage)).toBe(status);
  });

  it("prefers an exact pipeline-prefixed key over the unprefixed one", () => {
    const text = readShipped().replace("    WON: Закрыт\n", "    WON: Закрыт\n    C3:WON: КОтгрузке\n");
    const custom = parsePolicy(text, "custom.yaml");
    expect(stageToStatus(custom, "C3:WON")).toBe("КОтгрузке");
    expect(stageToStatus(custom, "C4:WON")).toBe("Закрыт");
    expect(stageToStatus(custom, "WON")).toBe("Закрыт");
  });

  it("throws a permanent STATUS_UNMAPPED error naming the stage", () => {
    const error = thrown(() => stageToStatus(policy, "C2:UC_X1Y2Z3"));
    expect(isSyncError(error)).toBe(true);
    expect(error).toMatchObject({ kind: "permanent", code: "STATUS_UNMAPPED" });
    expect((error as Error).message).toContain('"C2:UC_X1Y2Z3"');
    expect(() => stageToStatus(policy, "toString")).toThrow('"toString"');
  });
});

describe("statusToStage", () => {
  it.each([
    ["НеСогласован", undefined, "NEW"],
    ["Согласован", "0", "PREPAYMENT_INVOICE"],
    ["КОбеспечению", "", "EXECUTING"],
    ["КОтгрузке", "2", "C2:FINAL_INVOICE"],
    ["Закрыт", "17", "C17:WON"],
    ["Закрыт", 3, "C3:WON"],
  ] as const)("%s in pipeline %s → %s", (status, category, stage) => {
    expect(statusToStage(policy, status, category)).toBe(stage);
  });

  it("keeps a mapped stage that already names its pipeline", () => {
    const custom = parsePolicy(readShipped().replace("Закрыт: WON", "Закрыт: C5:WON"), "custom.yaml");
    expect(statusToStage(custom, "Закрыт", "2")).toBe("C5:WON");
    expect(statusToStage(custom, "Закрыт")).toBe("C5:WON");
  });

  it("throws a permanent STATUS_UNMAPPED error naming the status", () => {
    const error = thrown(() => statusToStage(policy, "Отгружен", "1"));
    expect(error).toMatchObject({ kind: "permanent", code: "STATUS_UNMAPPED" });
    expect((error as Error).message).toContain('"Отгружен"');
  });

  it("rejects a pipeline id that is not a number", () => {
    expect(thrown(() => statusToStage(policy, "Закрыт", "abc"))).toMatchObject({ kind: "permanent", code: "CATEGORY_INVALID" });
  });
});

function readShipped(): string {
  return readFileSync(defaultPolicyPath, "utf8");
}

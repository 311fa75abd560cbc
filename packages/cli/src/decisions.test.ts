import type { Decision } from "@concord/contracts";
import { formatDecisions } from "./decisions";

const decision: Decision = {
  id: 4,
  mappingId: 12,
  source: { system: "onec", entity: "counterparty", id: "5a1c4f9e-0000-4000-8000-000000000001" },
  targetSystem: "bitrix24",
  targetEntity: "company",
  summary: "ООО Ромашка\n(ИНН 7701000001)",
  reason: "2 records share the same innKpp",
  candidates: [
    { id: "7", label: "company 7 «Ромашка»", keys: ["innKpp"], linkedTo: null },
    { id: "18", label: "company 18 «Ромашка (старая)»", keys: ["innKpp"], linkedTo: "1C counterparty 9b…" },
  ],
  status: "open",
  action: null,
  chosenId: null,
  decidedBy: null,
  openedAt: "2026-12-01T10:00:00.000Z",
  decidedAt: null,
  supersededBy: null,
};

it("shows each decision on one line with its candidates numbered under it, and says why a closed one closed", () => {
  const open = formatDecisions([decision]);
  expect(open).toContain("decision 4 (open) — ООО Ромашка (ИНН 7701000001)");
  expect(open).toMatch(/18\s+innKpp\s+linked to 1C counterparty 9b…/);
  const superseded = formatDecisions([{ ...decision, status: "superseded", action: "link", chosenId: "18", decidedBy: "anna", supersededBy: 31 }]);
  expect(superseded).toContain("decision 4 (superseded: link 18 by anna, linked meanwhile by mapping 31)");
  expect(formatDecisions([])).toBe("no decisions waiting");
});

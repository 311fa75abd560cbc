import type { AlertView } from "@concord/contracts";
import { formatAlerts } from "./alerts";

const alert: AlertView = {
  id: 3,
  key: "dead-letter:bitrix24.deal.42",
  rule: "dead-letter",
  subject: "bitrix24.deal.42",
  status: "active",
  summary: "bitrix24 deal 42 is dead-lettered in flow bitrix24.deal→onec.order:\nONEC_REJECTED the order was rejected",
  details: {},
  firedAt: "2026-12-01T10:00:00.000Z",
  lastSeenAt: "2026-12-01T10:05:00.000Z",
  resolvedAt: null,
  notices: 1,
  deliveries: [
    { channel: "hook", notice: "fired", sequence: 1, status: "sent", attempts: 1, lastError: null, sentAt: "2026-12-01T10:00:01.000Z" },
    { channel: "tg", notice: "fired", sequence: 1, status: "pending", attempts: 2, lastError: "tg: Telegram answered HTTP 502", sentAt: null },
  ],
};

it("shows each alert with its summary on one line, and only the notices that did not go out", () => {
  const text = formatAlerts([alert]);
  expect(text).toContain("alert 3 active dead-letter bitrix24.deal.42 (since 2026-12-01T10:00:00.000Z)");
  expect(text).toContain("  bitrix24 deal 42 is dead-lettered in flow bitrix24.deal→onec.order: ONEC_REJECTED the order was rejected");
  expect(text).toContain("  fired to tg: pending after 2 attempt(s) — tg: Telegram answered HTTP 502");
  expect(text).not.toContain("to hook");
  expect(formatAlerts([{ ...alert, status: "resolved", resolvedAt: "2026-12-01T11:00:00.000Z", deliveries: [] }])).toContain("(2026-12-01T10:00:00.000Z → resolved 2026-12-01T11:00:00.000Z)");
  expect(formatAlerts([])).toBe("no alerts");
});

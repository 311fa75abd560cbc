/** An alert as the console API shows it (GET /api/alerts): what fired, since when, and where its notices went. */
export interface AlertView {
  id: number;
  key: string;
  rule: string;
  subject: string;
  status: "active" | "resolved";
  summary: string;
  details: Record<string, unknown>;
  firedAt: string;
  lastSeenAt: string;
  resolvedAt: string | null;
  notices: number;
  deliveries: Array<{ channel: string; notice: string; sequence: number; status: string; attempts: number; lastError: string | null; sentAt: string | null }>;
}

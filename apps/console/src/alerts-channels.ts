import { createTransport } from "nodemailer";
import { masker } from "@concord/telemetry";
import type { AlertChannel } from "./alerts-config";
import { noticeTitle, type Notice } from "./alerts-logic";

/** What one notice says, the same for every channel. */
export interface NoticeMessage {
  notice: Notice;
  alert: {
    id: number;
    key: string;
    rule: string;
    subject: string;
    summary: string;
    details: Record<string, unknown>;
    firedAt: string;
    resolvedAt: string | null;
  };
}

/** A delivery failure whose message is safe to log and store (no URL with a token, no password). */
export class DeliveryError extends Error {
  constructor(channel: string, reason: string) {
    super(masker.text(`${channel}: ${reason}`));
    this.name = "DeliveryError";
  }
}

export const noticeText = (m: NoticeMessage) =>
  [noticeTitle(m.notice, m.alert), m.alert.summary, m.notice === "resolved" ? `resolved at ${m.alert.resolvedAt}; fired at ${m.alert.firedAt}` : `since ${m.alert.firedAt}`].join("\n");

/** The reason of a failed fetch, without its URL (which may hold a token): the error code of the cause. */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; name?: unknown } })?.cause;
  const name = (error as { name?: unknown })?.name;
  if (name === "TimeoutError" || name === "AbortError") return "timed out";
  return typeof cause?.code === "string" ? `network error ${cause.code}` : "network error";
}

async function post(channel: string, url: string, headers: Record<string, string>, body: unknown, timeoutMs: number): Promise<{ status: number; text: string }> {
  let response: Response;
  try {
    response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new DeliveryError(channel, networkReason(error));
  }
  const text = await response.text().catch(() => "");
  return { status: response.status, text };
}

export type Send = (channel: AlertChannel, message: NoticeMessage) => Promise<void>;

/** Sends a notice to a channel; throws DeliveryError (masked) when the channel did not take it. */
export function createSender(timeoutMs: number): Send {
  const mailers = new Map<string, ReturnType<typeof createTransport>>();
  return async (channel, message) => {
    if (channel.type === "webhook") {
      const { status } = await post(channel.name, channel.url, channel.authorization ? { authorization: channel.authorization } : {}, { v: 1, type: "alert", ...message }, timeoutMs);
      if (status < 200 || status >= 300) throw new DeliveryError(channel.name, `webhook answered HTTP ${status}`);
      return;
    }
    if (channel.type === "telegram") {
      // The token is part of the path: it never appears in an error (only the status and Telegram's description).
      const url = `${channel.apiBase.replace(/\/+$/, "")}/bot${channel.botToken}/sendMessage`;
      const { status, text } = await post(channel.name, url, {}, { chat_id: channel.chatId, text: noticeText(message), disable_web_page_preview: true }, timeoutMs);
      let description = "";
      let ok = false;
      try {
        const parsed = JSON.parse(text) as { ok?: unknown; description?: unknown };
        ok = parsed.ok === true;
        description = typeof parsed.description === "string" ? `: ${parsed.description.slice(0, 200)}` : "";
      } catch {
        // not JSON: judged by the status alone
      }
      if (status !== 200 || !ok) throw new DeliveryError(channel.name, `Telegram answered HTTP ${status}${description}`);
      return;
    }
    let mailer = mailers.get(channel.name);
    if (!mailer) {
      mailer = createTransport({
        host: channel.host,
        port: channel.port,
        secure: channel.secure,
        requireTLS: channel.requireTls,
        auth: channel.user ? { user: channel.user, pass: channel.password ?? "" } : undefined,
        connectionTimeout: timeoutMs,
        greetingTimeout: timeoutMs,
        socketTimeout: timeoutMs,
      });
      mailers.set(channel.name, mailer);
    }
    try {
      await mailer.sendMail({ from: channel.from, to: channel.to, subject: noticeTitle(message.notice, message.alert), text: `${noticeText(message)}\n\n${JSON.stringify(message.alert.details, null, 2)}\n` });
    } catch (error) {
      const e = error as { code?: unknown; responseCode?: unknown };
      // nodemailer's own message can quote the server; the code and SMTP reply code say enough.
      throw new DeliveryError(channel.name, `SMTP ${typeof e.code === "string" ? e.code : "error"}${typeof e.responseCode === "number" ? ` ${e.responseCode}` : ""}`);
    }
  };
}

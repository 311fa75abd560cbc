import type { Request } from "express";
import { AuditListRequestSchema, type AuditAction, type AuditEntry } from "@concord/contracts";
import type { WebPage } from "../data";
import { webOf, type WebContext } from "../context";
import { common, formatTime, words } from "../i18n";
import { Page, sendPage } from "../layout";

const KINDS = AuditListRequestSchema.shape.targetKind.unwrap().options;
type Kind = (typeof KINDS)[number];
const LIMITS = [50, 100, 200, 500, 1000] as const;
const DEFAULT_LIMIT = 100;

const t = words({
  en: {
    intro: "Every action people took, through the API, the CLI or these pages, newest first.",
    actor: "Who",
    anyone: "anyone",
    kind: "On",
    anything: "anything",
    limit: "How many",
    show: "Show",
    at: "When",
    action: "Action",
    target: "Target",
    result: "Result",
    detail: "Detail",
    ok: "ok",
    failed: "failed",
    none: "No actions match.",
    more: "Show more ({limit})",
    shown: "{count} shown",
    "dead-letter": "dead letter",
    record: "record",
    filter: "filter",
    decision: "decision",
    flow: "flow",
    user: "user",
    "failure-group": "failure group",
    "do:dlq.retry": "retry a dead letter",
    "do:dlq.retry-bulk": "retry dead letters in bulk",
    "do:dlq.discard": "discard a dead letter",
    "do:resync": "resync a record",
    "do:decision": "decide a match",
    "do:flow.change": "switch a flow",
    "do:token.change": "change an API token",
    "do:user.change": "change a user",
    "do:sign-in": "sign in",
    "do:sign-out": "sign out",
    "do:failure-group": "mark a failure group",
  },
  ru: {
    intro: "Все действия людей — через API, консольную утилиту или эти страницы, новые сверху.",
    actor: "Кто",
    anyone: "все",
    kind: "Над чем",
    anything: "всё",
    limit: "Сколько",
    show: "Показать",
    at: "Когда",
    action: "Действие",
    target: "Объект",
    result: "Итог",
    detail: "Подробности",
    ok: "успешно",
    failed: "ошибка",
    none: "Подходящих действий нет.",
    more: "Показать больше ({limit})",
    shown: "показано: {count}",
    "dead-letter": "сообщение в очереди ошибок",
    record: "запись",
    filter: "фильтр",
    decision: "решение",
    flow: "поток",
    user: "пользователь",
    "failure-group": "группа сбоев",
    "do:dlq.retry": "повтор сообщения из очереди ошибок",
    "do:dlq.retry-bulk": "массовый повтор из очереди ошибок",
    "do:dlq.discard": "отказ от сообщения из очереди ошибок",
    "do:resync": "повторная синхронизация записи",
    "do:decision": "решение по сопоставлению",
    "do:flow.change": "переключение потока",
    "do:token.change": "изменение токена API",
    "do:user.change": "изменение пользователя",
    "do:sign-in": "вход",
    "do:sign-out": "выход",
    "do:failure-group": "отметка группы сбоев",
  },
});

type Words = ReturnType<typeof t>;
const actionWord = (w: Words, action: AuditAction) => w[`do:${action}`];
const kindWord = (w: Words, kind: string) => (KINDS as readonly string[]).includes(kind) ? w[kind as Kind] : kind;

const fill = (template: string, values: Record<string, string | number>) => template.replace(/\{(\w+)\}/g, (_, key: string) => String(values[key] ?? ""));

export interface AuditQuery {
  actor?: string | undefined;
  kind?: Kind | undefined;
  limit: number;
}

/** The page's query, forgiving: an unknown kind or limit is the default, not an error. */
export function parseAuditQuery(query: Request["query"]): AuditQuery {
  const actor = typeof query.actor === "string" && query.actor.trim() !== "" ? query.actor.trim().slice(0, 100) : undefined;
  const kind = typeof query.kind === "string" && (KINDS as readonly string[]).includes(query.kind) ? (query.kind as Kind) : undefined;
  const limit = Number(query.limit);
  return { actor, kind, limit: Number.isInteger(limit) && limit >= 1 && limit <= 1000 ? limit : DEFAULT_LIMIT };
}

const hrefOf = (q: AuditQuery) => {
  const params = new URLSearchParams();
  if (q.actor) params.set("actor", q.actor);
  if (q.kind) params.set("kind", q.kind);
  params.set("limit", String(q.limit));
  return `/audit?${params.toString()}`;
};

/** Where a target is looked at in the console, when it has a page. */
function targetHref(e: AuditEntry): string | undefined {
  switch (e.targetKind) {
    case "dead-letter":
      return /^\d+$/.test(e.targetId) ? `/dead-letters/${e.targetId}` : undefined;
    case "flow":
      return "/flows";
    case "decision":
      return "/decisions";
    case "record":
      return `/records?q=${encodeURIComponent(e.targetId.split(":").pop() ?? e.targetId)}`;
    default:
      return undefined;
  }
}

function Entries(props: { ctx: WebContext; entries: AuditEntry[] }) {
  const { ctx } = props;
  const w = t(ctx.lang);
  return (
    <div class="table-wrap">
      <table data-testid="audit-table">
        <thead>
          <tr>
            <th>{w.at}</th>
            <th>{w.actor}</th>
            <th>{w.action}</th>
            <th>{w.target}</th>
            <th>{w.result}</th>
            <th>{w.detail}</th>
          </tr>
        </thead>
        <tbody>
          {props.entries.map((e) => {
            const href = targetHref(e);
            return (
              <tr data-testid="audit-entry" data-action={e.action} data-actor={e.actor} data-target-kind={e.targetKind} data-target-id={e.targetId} data-result={e.result}>
                <td>{formatTime(ctx.lang, e.at, ctx.timeZone)}</td>
                <td>
                  {e.actor} <span class="muted">({e.role})</span>
                </td>
                <td>{actionWord(w, e.action)}</td>
                <td>
                  {kindWord(w, e.targetKind)}{" "}
                  {href ? (
                    <a href={href}>
                      <code>{e.targetId}</code>
                    </a>
                  ) : (
                    <code>{e.targetId}</code>
                  )}
                </td>
                <td>
                  <span class={`badge ${e.result === "ok" ? "applied" : "failing"}`}>{e.result === "ok" ? w.ok : w.failed}</span>
                </td>
                <td>{e.detail}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** Audit: the one trail of every action, newest first, by actor and kind of target, as many as asked. */
export const auditPage: WebPage = (router, data) => {
  router.get("/audit", async (req, res) => {
    const ctx = webOf(res);
    const w = t(ctx.lang);
    const query = parseAuditQuery(req.query);
    const { entries } = await data.audit.list({ ...(query.actor ? { actor: query.actor } : {}), ...(query.kind ? { targetKind: query.kind } : {}), limit: query.limit });
    const more = entries.length >= query.limit && query.limit < 1000 ? Math.min(1000, LIMITS.find((n) => n > query.limit) ?? 1000) : null;
    sendPage(
      res,
      200,
      <Page ctx={ctx} title={common(ctx.lang).audit} active="audit">
        <p class="muted">{w.intro}</p>
        <form method="get" action="/audit" class="filters" data-testid="audit-filters">
          <label>
            {w.actor}
            <input type="text" name="actor" value={query.actor ?? ""} placeholder={w.anyone} maxLength={100} />
          </label>
          <label>
            {w.kind}
            <select name="kind">
              <option value="">{w.anything}</option>
              {KINDS.map((k) => (
                <option value={k} selected={k === query.kind}>
                  {kindWord(w, k)}
                </option>
              ))}
            </select>
          </label>
          <label>
            {w.limit}
            <select name="limit">
              {[...new Set([...LIMITS, query.limit])]
                .sort((a, b) => a - b)
                .map((n) => (
                  <option value={String(n)} selected={n === query.limit}>
                    {n}
                  </option>
                ))}
            </select>
          </label>
          <button type="submit" class="secondary">
            {w.show}
          </button>
        </form>
        {entries.length === 0 ? (
          <p class="muted" data-testid="audit-none">
            {w.none}
          </p>
        ) : (
          <Entries ctx={ctx} entries={entries} />
        )}
        <p class="muted">
          {fill(w.shown, { count: entries.length })}
          {more !== null && (
            <>
              {" · "}
              <a href={hrefOf({ ...query, limit: more })} data-testid="audit-more">
                {fill(w.more, { limit: more })}
              </a>
            </>
          )}
        </p>
      </Page>,
    );
  });
};

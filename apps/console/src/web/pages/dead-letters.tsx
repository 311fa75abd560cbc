import type { ComponentChildren } from "preact";
import type { Request, Response } from "express";
import { DiscardBodySchema, IdParamSchema } from "../../bodies";
import type { AuditEntry, DeadLetterRecord, DeadLetterStatus, DlqFilter } from "@concord/contracts";
import { masker } from "@concord/telemetry";
import { createOperatorActions } from "../../actions";
import { BULK_LIMIT, type RetryResult } from "../../operations";
import { can, webOf, type WebContext } from "../context";
import type { WebData, WebPage } from "../data";
import { formatTime, words, type Lang } from "../i18n";
import { Page, PostForm, sendPage, type Notice } from "../layout";
import { ErrorPage, requireWebRole } from "../router";
import { traceUrl } from "../record-links";
import { parseTimeInput, toTimeInput } from "../time-input";
import { attempt, describeFlow, fill, RecordLink as RecordRefLink, shown, SYSTEM_NAMES } from "./parts";

const t = words({
  en: {
    title: "Dead letters",
    letter: "Dead letter",
    filters: "Filters",
    flow: "Flow",
    system: "Source system",
    code: "Error code",
    status: "Status",
    from: "Failed from",
    to: "Failed until",
    any: "any",
    all: "all",
    apply: "Show",
    reset: "Reset",
    open: "open",
    retried: "retried",
    discarded: "discarded",
    resolved: "resolved",
    id: "Id",
    record: "Record",
    error: "Error",
    failureClass: "Kind",
    business: "business rejection",
    pipeline: "pipeline fault",
    attempts: "Attempts",
    lastFailure: "Last failure",
    firstFailure: "First failure",
    none: "No dead letters match.",
    shown: "Showing the newest {shown} of {total}.",
    total: "{total} match.",
    retry: "Retry",
    retryRefresh: "Retry from the source's current state",
    retryHint: "Retry sends the original message again; retry from the source reads the record again and rebuilds the message.",
    discard: "Discard",
    reason: "Reason (required)",
    reasonRequired: "A reason is required to discard: say why, for the next person.",
    bulkRetry: "Retry all open of these…",
    bulkTitle: "Retry the open dead letters of this filter",
    bulkCount: "This retries {count} open dead letter(s):",
    bulkNone: "No open dead letter matches this filter: nothing to retry.",
    bulkLimit: "Only the newest {limit} of {total} are retried at once; narrow the filter to reach the others.",
    bulkPinned: "Only letters that failed until {at} (when this page was shown) are retried; later ones wait for another look.",
    bulkRefresh: "Rebuild each from the source's current state (refresh)",
    bulkConfirm: "Retry {count} now",
    cancel: "Cancel",
    bulkDone: "Bulk retry: {retried} retried, {failed} failed.",
    retriedList: "Retried",
    failedList: "Not retried",
    newMessage: "New message",
    backToList: "Back to the dead letters",
    doneRetried: "Retried: the original message was published again as {msg}.",
    doneRefreshed: "Retried from the source: a change event {msg} was published; the record is read again and rebuilt.",
    doneDuplicate: "(the bus had it already: nothing new was stored)",
    doneDiscarded: "Discarded.",
    facts: "What failed",
    stage: "Step that gave up",
    subject: "Subject",
    messageId: "Message id",
    trace: "Trace",
    retryOf: "A failed retry of",
    retryCount: "Times retried",
    retriedAt: "Retried at",
    discardedAt: "Discarded at",
    discardReason: "Discard reason",
    createdAt: "Recorded at",
    payload: "Payload (secrets masked)",
    headers: "Headers",
    history: "Retry history",
    historyNote: "The dead letter and its retries that failed again, oldest first.",
    audit: "Who did what",
    auditNone: "Nobody has acted on it yet.",
    at: "When",
    actor: "Who",
    action: "Action",
    result: "Result",
    detail: "Detail",
    badFilter: "Not a filter value: {what}",
    noRecord: "—",
    noRefresh: "names no source record: only a plain retry is possible",
    this: "this one",
    actions: "Actions",
    notOpen: "It is {status}: only an open dead letter is retried or discarded.",
  },
  ru: {
    title: "Очередь ошибок",
    letter: "Письмо об ошибке",
    filters: "Фильтры",
    flow: "Поток",
    system: "Система-источник",
    code: "Код ошибки",
    status: "Статус",
    from: "Сбой с",
    to: "Сбой по",
    any: "любая",
    all: "все",
    apply: "Показать",
    reset: "Сбросить",
    open: "открыто",
    retried: "повторено",
    discarded: "отброшено",
    resolved: "решено",
    id: "№",
    record: "Запись",
    error: "Ошибка",
    failureClass: "Вид",
    business: "отказ по данным",
    pipeline: "сбой обработки",
    attempts: "Попытки",
    lastFailure: "Последний сбой",
    firstFailure: "Первый сбой",
    none: "Ничего не найдено.",
    shown: "Показаны последние {shown} из {total}.",
    total: "Найдено: {total}.",
    retry: "Повторить",
    retryRefresh: "Повторить с текущего состояния источника",
    retryHint: "«Повторить» отправляет исходное сообщение ещё раз; «с текущего состояния» заново читает запись и собирает сообщение.",
    discard: "Отбросить",
    reason: "Причина (обязательно)",
    reasonRequired: "Чтобы отбросить, укажите причину — для следующего, кто будет разбираться.",
    bulkRetry: "Повторить все открытые из них…",
    bulkTitle: "Повтор открытых ошибок по фильтру",
    bulkCount: "Будет повторено открытых ошибок: {count}:",
    bulkNone: "Под фильтр не попадает ни одной открытой ошибки: повторять нечего.",
    bulkLimit: "За раз повторяются только последние {limit} из {total}; сузьте фильтр, чтобы дойти до остальных.",
    bulkPinned: "Повторяются только сбои до {at} (когда открыта эта страница); более поздние дождутся следующего просмотра.",
    bulkRefresh: "Собрать каждое заново с текущего состояния источника",
    bulkConfirm: "Повторить {count} сейчас",
    cancel: "Отмена",
    bulkDone: "Массовый повтор: повторено {retried}, не удалось {failed}.",
    retriedList: "Повторены",
    failedList: "Не повторены",
    newMessage: "Новое сообщение",
    backToList: "К очереди ошибок",
    doneRetried: "Повторено: исходное сообщение опубликовано заново как {msg}.",
    doneRefreshed: "Повторено с источника: опубликовано событие изменения {msg}; запись будет прочитана и собрана заново.",
    doneDuplicate: "(оно уже было в шине: ничего нового не записано)",
    doneDiscarded: "Отброшено.",
    facts: "Что не получилось",
    stage: "Шаг, который сдался",
    subject: "Тема",
    messageId: "Id сообщения",
    trace: "Трассировка",
    retryOf: "Неудачный повтор ошибки",
    retryCount: "Сколько раз повторяли",
    retriedAt: "Повторено",
    discardedAt: "Отброшено",
    discardReason: "Причина отказа",
    createdAt: "Записано",
    payload: "Содержимое (секреты скрыты)",
    headers: "Заголовки",
    history: "История повторов",
    historyNote: "Ошибка и её повторы, которые снова не прошли, от старых к новым.",
    audit: "Кто что делал",
    auditNone: "С ней ещё никто ничего не делал.",
    at: "Когда",
    actor: "Кто",
    action: "Действие",
    result: "Итог",
    detail: "Подробности",
    badFilter: "Неверное значение фильтра: {what}",
    noRecord: "—",
    noRefresh: "не указывает запись-источник: возможен только обычный повтор",
    this: "эта",
    actions: "Действия",
    notOpen: "Статус — {status}: повторить или отбросить можно только открытую ошибку.",
  },
});

/** The flows a dead letter can belong to (`describeDeadLetter` in contracts), offered in the filter. */
const FLOWS = [
  "bitrix24.deal→onec.order",
  "onec.order→bitrix24.deal",
  "bitrix24.company→onec.counterparty",
  "bitrix24.contact→onec.counterparty",
  "onec.counterparty→bitrix24.company",
  "onec.partner→bitrix24.company",
  "bitrix24.product→onec.product",
  "onec.product→bitrix24.product",
];
const STATUSES = ["open", "retried", "discarded", "resolved", "all"] as const;
type StatusChoice = (typeof STATUSES)[number];

const RecordLink = (props: { lang: Lang; letter: Pick<DeadLetterRecord, "system" | "entity" | "recordId"> }) => (
  <RecordRefLink lang={props.lang} system={props.letter.system} entity={props.letter.entity} id={props.letter.recordId} />
);

const statusWord = (lang: Lang, status: DeadLetterStatus) => t(lang)[status];
const classWord = (lang: Lang, c: DeadLetterRecord["failureClass"]) => t(lang)[c];

/** A dead-letter filter as the query of a page (`?flow=&system=&code=&status=&from=&to=`). */
interface ListFilter {
  filter: DlqFilter;
  status: StatusChoice;
  /** The values as the form shows them back. */
  form: { flow: string; system: string; code: string; from: string; to: string };
  problems: string[];
}

const str = (v: unknown) => (typeof v === "string" ? v.trim() : "");

function parseListFilter(source: Record<string, unknown>, ctx: WebContext): ListFilter {
  const words = t(ctx.lang);
  const problems: string[] = [];
  const filter: DlqFilter = {};
  const flow = str(source.flow).slice(0, 100);
  if (flow) filter.flow = flow;
  const system = str(source.system);
  if (system === "bitrix24" || system === "onec") filter.system = system;
  else if (system) problems.push(fill(words.badFilter, { what: `${words.system} "${system}"` }));
  const code = str(source.code).slice(0, 100);
  if (code) filter.code = code;
  const statusText = str(source.status) || "open";
  const status = (STATUSES as readonly string[]).includes(statusText) ? (statusText as StatusChoice) : "open";
  if (status !== statusText) problems.push(fill(words.badFilter, { what: `${words.status} "${statusText}"` }));
  if (status !== "all") filter.status = status;
  const from = parseTimeInput(str(source.from), ctx.timeZone);
  const to = parseTimeInput(str(source.to), ctx.timeZone, true);
  if (from === null) problems.push(fill(words.badFilter, { what: `${words.from} "${str(source.from)}"` }));
  else if (from) filter.from = from;
  if (to === null) problems.push(fill(words.badFilter, { what: `${words.to} "${str(source.to)}"` }));
  else if (to) filter.to = to;
  return {
    filter,
    status,
    form: { flow, system: filter.system ?? "", code, from: toTimeInput(filter.from, ctx.timeZone), to: toTimeInput(filter.to, ctx.timeZone) },
    problems,
  };
}

/** The filter as a query string (links to the bulk retry and back to the list). */
function filterQuery(f: DlqFilter, status?: StatusChoice): string {
  const q = new URLSearchParams();
  for (const key of ["flow", "system", "code", "from", "to"] as const) {
    const value = f[key];
    if (value) q.set(key, value);
  }
  if (status) q.set("status", status);
  const text = q.toString();
  return text ? `?${text}` : "";
}

function prettyPayload(data: string): string {
  try {
    return shown(JSON.stringify(masker.value(JSON.parse(data)), null, 2), 50_000);
  } catch {
    return shown(data, 50_000);
  }
}

function Filters(props: { ctx: WebContext; f: ListFilter }) {
  const w = t(props.ctx.lang);
  const { form, status } = props.f;
  return (
    <form method="get" action="/dead-letters" class="filters" aria-label={w.filters}>
      <label>
        {w.flow}
        <input name="flow" value={form.flow} list="dead-letter-flows" size={28} />
        <datalist id="dead-letter-flows">
          {FLOWS.map((flow) => (
            <option value={flow}>{describeFlow(props.ctx.lang, flow)}</option>
          ))}
        </datalist>
      </label>
      <label>
        {w.system}
        <select name="system">
          <option value="">{w.any}</option>
          {(["bitrix24", "onec"] as const).map((s) => (
            <option value={s} selected={form.system === s}>
              {SYSTEM_NAMES[s][props.ctx.lang]}
            </option>
          ))}
        </select>
      </label>
      <label>
        {w.code}
        <input name="code" value={form.code} size={18} />
      </label>
      <label>
        {w.status}
        <select name="status">
          {STATUSES.map((s) => (
            <option value={s} selected={status === s}>
              {s === "all" ? w.all : w[s]}
            </option>
          ))}
        </select>
      </label>
      <label>
        {w.from}
        <input type="datetime-local" step={1} name="from" value={form.from} />
      </label>
      <label>
        {w.to}
        <input type="datetime-local" step={1} name="to" value={form.to} />
      </label>
      <button type="submit">{w.apply}</button>
      <a href="/dead-letters">{w.reset}</a>
    </form>
  );
}

function LetterTable(props: { ctx: WebContext; letters: DeadLetterRecord[]; rowActions: boolean }) {
  const { ctx } = props;
  const w = t(ctx.lang);
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th>{w.id}</th>
            <th>{w.flow}</th>
            <th>{w.record}</th>
            <th>{w.error}</th>
            <th>{w.failureClass}</th>
            <th>{w.attempts}</th>
            <th>{w.lastFailure}</th>
            <th>{w.status}</th>
            {props.rowActions && <th>{w.actions}</th>}
          </tr>
        </thead>
        <tbody>
          {props.letters.map((d) => (
            <tr data-testid="dead-letter-row" data-id={String(d.id)} data-status={d.status}>
              <td>
                <a href={`/dead-letters/${d.id}`}>{d.id}</a>
              </td>
              <td>{describeFlow(ctx.lang, d.flow)}</td>
              <td>
                <RecordLink lang={ctx.lang} letter={d} />
              </td>
              <td>
                <code>{d.errorCode}</code> {shown(d.errorMessage, 300)}
              </td>
              <td>{classWord(ctx.lang, d.failureClass)}</td>
              <td>{d.attempts}</td>
              <td>{formatTime(ctx.lang, d.lastFailedAt, ctx.timeZone)}</td>
              <td>
                <span class={`badge ${d.status}`}>{statusWord(ctx.lang, d.status)}</span>
              </td>
              {props.rowActions && (
                <td>
                  {d.status === "open" && (
                    <PostForm action={`/dead-letters/${d.id}/retry`} csrf={ctx.session.csrf} class="inline">
                      <button type="submit" class="secondary" data-testid="retry">
                        {w.retry}
                      </button>
                    </PostForm>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const LIST_LIMIT = 200;

function AuditTable(props: { ctx: WebContext; entries: AuditEntry[] }) {
  const { ctx } = props;
  const w = t(ctx.lang);
  if (props.entries.length === 0) return <p class="muted">{w.auditNone}</p>;
  return (
    <div class="table-wrap">
      <table data-testid="dead-letter-audit">
        <thead>
          <tr>
            <th>{w.at}</th>
            <th>{w.actor}</th>
            <th>{w.action}</th>
            <th>{w.result}</th>
            <th>{w.detail}</th>
          </tr>
        </thead>
        <tbody>
          {props.entries.map((e) => (
            <tr>
              <td>{formatTime(ctx.lang, e.at, ctx.timeZone)}</td>
              <td>
                {e.actor} <span class="muted">({e.role})</span>
              </td>
              <td>
                <code>{e.action}</code>
              </td>
              <td>
                <span class={`badge ${e.result === "ok" ? "applied" : "failing"}`}>{e.result}</span>
              </td>
              <td>{shown(e.detail, 500)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

type Details = Awaited<ReturnType<ReturnType<typeof createOperatorActions>["deadLetterDetails"]>>;

function DetailsPage(props: { ctx: WebContext; data: WebData; details: Details; notice?: Notice | undefined; reason?: string }) {
  const { ctx, details } = props;
  const d = details.deadLetter as DeadLetterRecord;
  const w = t(ctx.lang);
  const trace = traceUrl(props.data.links, d.traceId);
  const fact = (label: string, value: ComponentChildren) => (
    <tr>
      <th scope="row">{label}</th>
      <td>{value}</td>
    </tr>
  );
  const time = (value: string | null) => formatTime(ctx.lang, value, ctx.timeZone);
  const refreshable = Boolean(d.system && d.entity && d.recordId);
  return (
    <Page ctx={ctx} title={`${w.letter} ${d.id}`} active="deadLetters" notice={props.notice}>
      <p>
        <a href="/dead-letters">{w.backToList}</a>
      </p>
      <section data-testid="dead-letter" data-id={String(d.id)} data-status={d.status}>
        <p>
          <span class={`badge ${d.status}`}>{statusWord(ctx.lang, d.status)}</span> <code>{d.errorCode}</code> · {classWord(ctx.lang, d.failureClass)}
        </p>
        <p class="notice error">{shown(d.errorMessage)}</p>
        {can(ctx, "operator") && d.status === "open" && (
          <div class="actions">
            <PostForm action={`/dead-letters/${d.id}/retry`} csrf={ctx.session.csrf} class="inline">
              <button type="submit" data-testid="retry">
                {w.retry}
              </button>
            </PostForm>
            {refreshable && (
              <PostForm action={`/dead-letters/${d.id}/retry`} csrf={ctx.session.csrf} class="inline">
                <input type="hidden" name="refresh" value="1" />
                <button type="submit" class="secondary" data-testid="retry-refresh">
                  {w.retryRefresh}
                </button>
              </PostForm>
            )}
            <PostForm action={`/dead-letters/${d.id}/discard`} csrf={ctx.session.csrf} class="actions">
              <label>
                {w.reason}
                <input name="reason" required maxLength={1000} size={32} value={props.reason ?? ""} data-testid="discard-reason" />
              </label>
              <button type="submit" class="danger" data-testid="discard">
                {w.discard}
              </button>
            </PostForm>
          </div>
        )}
        {can(ctx, "operator") && d.status === "open" && <p class="muted">{refreshable ? w.retryHint : `${w.retryRefresh}: ${w.noRefresh}`}</p>}
        {can(ctx, "operator") && d.status !== "open" && <p class="muted">{fill(w.notOpen, { status: statusWord(ctx.lang, d.status) })}</p>}
        <h2>{w.facts}</h2>
        <div class="table-wrap">
          <table>
            <tbody>
              {fact(w.flow, describeFlow(ctx.lang, d.flow))}
              {fact(w.record, <RecordLink lang={ctx.lang} letter={d} />)}
              {fact(w.stage, <code>{d.stage}</code>)}
              {fact(w.subject, <code>{d.subject}</code>)}
              {fact(w.messageId, <code>{d.messageId ?? "—"}</code>)}
              {fact(w.attempts, d.attempts)}
              {fact(w.firstFailure, time(d.firstFailedAt))}
              {fact(w.lastFailure, time(d.lastFailedAt))}
              {fact(w.createdAt, time(d.createdAt))}
              {d.retryOf !== null && fact(w.retryOf, <a href={`/dead-letters/${d.retryOf}`}>{d.retryOf}</a>)}
              {fact(w.retryCount, d.retryCount)}
              {d.retriedAt && fact(w.retriedAt, time(d.retriedAt))}
              {d.discardedAt && fact(w.discardedAt, time(d.discardedAt))}
              {d.discardReason && fact(w.discardReason, shown(d.discardReason, 1000))}
              {d.traceId && fact(w.trace, trace ? <a href={trace}>{d.traceId}</a> : <code>{d.traceId}</code>)}
            </tbody>
          </table>
        </div>
        <h2>{w.payload}</h2>
        <pre data-testid="dead-letter-payload">{prettyPayload(d.original.data)}</pre>
        <details>
          <summary>{w.headers}</summary>
          <pre>{shown(JSON.stringify(masker.value(d.original.headers), null, 2), 10_000)}</pre>
        </details>
        <h2>{w.history}</h2>
        <p class="muted">{w.historyNote}</p>
        <div class="table-wrap">
          <table data-testid="dead-letter-history">
            <thead>
              <tr>
                <th>{w.id}</th>
                <th>{w.status}</th>
                <th>{w.error}</th>
                <th>{w.attempts}</th>
                <th>{w.lastFailure}</th>
                <th>{w.retriedAt}</th>
              </tr>
            </thead>
            <tbody>
              {details.history.map((h) => (
                <tr data-id={String(h.id)}>
                  <td>{h.id === d.id ? <strong>{`${h.id} (${w.this})`}</strong> : <a href={`/dead-letters/${h.id}`}>{h.id}</a>}</td>
                  <td>
                    <span class={`badge ${h.status}`}>{statusWord(ctx.lang, h.status)}</span>
                  </td>
                  <td>
                    <code>{h.errorCode}</code> {shown(h.errorMessage, 200)}
                  </td>
                  <td>{h.attempts}</td>
                  <td>{time(h.lastFailedAt)}</td>
                  <td>{time(h.retriedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <h2>{w.audit}</h2>
        <AuditTable ctx={ctx} entries={details.audit} />
      </section>
    </Page>
  );
}

/** The notice after a redirect from an action: built from fixed words, the message id only shown as text. */
function doneNotice(lang: Lang, query: Request["query"]): Notice | undefined {
  const w = t(lang);
  const msg = str(query.msg).slice(0, 200);
  const dup = query.dup === "1" ? ` ${w.doneDuplicate}` : "";
  // The retry redirects with its action: `republished` (the original sent again) or `refreshed`.
  if (query.done === "republished") return { kind: "ok", text: fill(w.doneRetried, { msg }) + dup };
  if (query.done === "refreshed") return { kind: "ok", text: fill(w.doneRefreshed, { msg }) + dup };
  if (query.done === "discarded") return { kind: "ok", text: w.doneDiscarded };
  return undefined;
}

function BulkResultPage(props: { ctx: WebContext; back: string; retried: RetryResult[]; failed: Array<{ id: number; error: string }> }) {
  const { ctx } = props;
  const w = t(ctx.lang);
  const notice: Notice = { kind: props.failed.length > 0 ? "error" : "ok", text: fill(w.bulkDone, { retried: props.retried.length, failed: props.failed.length }) };
  return (
    <Page ctx={ctx} title={w.bulkTitle} active="deadLetters" notice={notice}>
      <p>
        <a href={props.back}>{w.backToList}</a>
      </p>
      {props.retried.length > 0 && (
        <>
          <h2>{w.retriedList}</h2>
          <div class="table-wrap">
            <table data-testid="bulk-retried">
              <thead>
                <tr>
                  <th>{w.id}</th>
                  <th>{w.action}</th>
                  <th>{w.newMessage}</th>
                </tr>
              </thead>
              <tbody>
                {props.retried.map((r) => (
                  <tr data-id={String(r.id)}>
                    <td>
                      <a href={`/dead-letters/${r.id}`}>{r.id}</a>
                    </td>
                    <td>{r.action === "refreshed" ? w.retryRefresh : w.retry}</td>
                    <td>
                      <code>{r.messageId}</code>
                      {r.duplicate ? ` ${w.doneDuplicate}` : ""}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      {props.failed.length > 0 && (
        <>
          <h2>{w.failedList}</h2>
          <div class="table-wrap">
            <table data-testid="bulk-failed">
              <thead>
                <tr>
                  <th>{w.id}</th>
                  <th>{w.error}</th>
                </tr>
              </thead>
              <tbody>
                {props.failed.map((f) => (
                  <tr data-id={String(f.id)}>
                    <td>
                      <a href={`/dead-letters/${f.id}`}>{f.id}</a>
                    </td>
                    <td>{shown(f.error, 500)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </Page>
  );
}

/**
 * Dead letters: the list with its filters, one letter's details (masked payload, error, retry
 * chain, who did what), and the operator's actions — retry, retry from the source's current
 * state, discard with a reason, and a bulk retry of a filter that first says how many it touches.
 */
export const deadLettersPage: WebPage = (router, data) => {
  const actions = createOperatorActions(data);
  const operator = requireWebRole("operator");

  router.get("/dead-letters", async (req, res) => {
    const ctx = webOf(res);
    const w = t(ctx.lang);
    const f = parseListFilter(req.query, ctx);
    const { deadLetters, total } = f.problems.length > 0 ? { deadLetters: [], total: 0 } : await data.operations.list({ ...f.filter, limit: LIST_LIMIT });
    const notice: Notice | undefined = f.problems.length > 0 ? { kind: "error", text: f.problems.join("; ") } : undefined;
    sendPage(res, f.problems.length > 0 ? 400 : 200, (
      <Page ctx={ctx} title={w.title} active="deadLetters" notice={notice}>
        <Filters ctx={ctx} f={f} />
        <div class="actions">
          <span class="muted" data-testid="dead-letter-total" data-total={String(total)}>
            {total > deadLetters.length ? fill(w.shown, { shown: deadLetters.length, total }) : fill(w.total, { total })}
          </span>
          {can(ctx, "operator") && f.problems.length === 0 && total > 0 && f.status !== "retried" && f.status !== "discarded" && f.status !== "resolved" && (
            <form method="get" action="/dead-letters/bulk-retry" class="inline">
              {Object.entries(f.filter).map(([k, v]) => (k === "status" ? null : <input type="hidden" name={k} value={String(v)} />))}
              <button type="submit" class="secondary" data-testid="bulk-retry">
                {w.bulkRetry}
              </button>
            </form>
          )}
        </div>
        {deadLetters.length === 0 ? <p class="muted">{w.none}</p> : <LetterTable ctx={ctx} letters={deadLetters} rowActions={can(ctx, "operator")} />}
      </Page>
    ));
  });

  // The confirmation: how many open letters the retry touches, and which, before anything runs.
  router.get("/dead-letters/bulk-retry", operator, async (req, res) => {
    const ctx = webOf(res);
    const w = t(ctx.lang);
    const f = parseListFilter({ ...req.query, status: "open" }, ctx);
    if (f.problems.length > 0) return sendPage(res, 400, <ErrorPage ctx={ctx} title={w.bulkTitle} reason={f.problems.join("; ")} />);
    const { status: _open, ...filter } = f.filter;
    // Pinned to now: the retry touches the letters shown here, not ones that fail after this look.
    const now = new Date().toISOString();
    const pinned = { ...filter, to: filter.to && filter.to < now ? filter.to : now };
    const { deadLetters, total } = await data.operations.openMatching(pinned);
    sendPage(res, 200, (
      <Page ctx={ctx} title={w.bulkTitle} active="deadLetters">
        {total === 0 ? (
          <p class="notice ok" data-testid="bulk-retry-count" data-count="0">
            {w.bulkNone}
          </p>
        ) : (
          <>
            <p data-testid="bulk-retry-count" data-count={String(Math.min(total, BULK_LIMIT))}>
              <strong>{fill(w.bulkCount, { count: Math.min(total, BULK_LIMIT) })}</strong>
            </p>
            {total > BULK_LIMIT && <p class="notice error">{fill(w.bulkLimit, { limit: BULK_LIMIT, total })}</p>}
            <p class="muted">{fill(w.bulkPinned, { at: formatTime(ctx.lang, pinned.to, ctx.timeZone) })}</p>
            <PostForm action="/dead-letters/bulk-retry" csrf={ctx.session.csrf} class="actions">
              {Object.entries(pinned).map(([k, v]) => (
                <input type="hidden" name={k} value={String(v)} />
              ))}
              <input type="hidden" name="confirm" value="yes" />
              <label>
                <span>
                  <input type="checkbox" name="refresh" value="1" /> {w.bulkRefresh}
                </span>
              </label>
              <button type="submit" data-testid="bulk-retry-confirm">
                {fill(w.bulkConfirm, { count: Math.min(total, BULK_LIMIT) })}
              </button>
              <a href={`/dead-letters${filterQuery(filter)}`}>{w.cancel}</a>
            </PostForm>
            <LetterTable ctx={ctx} letters={deadLetters} rowActions={false} />
          </>
        )}
        {total === 0 && (
          <p>
            <a href={`/dead-letters${filterQuery(filter)}`}>{w.backToList}</a>
          </p>
        )}
      </Page>
    ));
  });

  router.post("/dead-letters/bulk-retry", operator, async (req, res) => {
    const ctx = webOf(res);
    const w = t(ctx.lang);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const f = parseListFilter({ ...body, status: "open" }, ctx);
    const { status: _open, ...filter } = f.filter;
    // Never without the confirmation step: a POST that did not come from it is sent there.
    if (body.confirm !== "yes" || f.problems.length > 0) return res.redirect(303, `/dead-letters/bulk-retry${filterQuery(filter)}`);
    const result = await attempt(ctx.lang, () => actions.retryMatching(ctx.user, filter, body.refresh === "1"));
    if (!result.ok) return sendPage(res, result.status, <ErrorPage ctx={ctx} title={w.bulkTitle} reason={result.text} />);
    sendPage(res, 200, <BulkResultPage ctx={ctx} back={`/dead-letters${filterQuery({ ...filter, to: undefined })}`} retried={result.value.retried} failed={result.value.failed} />);
  });

  const idOf = (req: Request) => {
    const parsed = IdParamSchema.safeParse(req.params.id);
    return parsed.success ? parsed.data : null;
  };
  const notFound = (res: Response, ctx: WebContext, text: string) => sendPage(res, 404, <ErrorPage ctx={ctx} title={t(ctx.lang).letter} reason={text} />);

  /** The details page, or its refusal in words (404 for a letter that does not exist). */
  async function showDetails(res: Response, id: number, status: number, notice?: Notice, reason?: string) {
    const ctx = webOf(res);
    const loaded = await attempt(ctx.lang, () => actions.deadLetterDetails(id));
    if (!loaded.ok) return loaded.status === 404 ? notFound(res, ctx, loaded.text) : sendPage(res, loaded.status, <ErrorPage ctx={ctx} title={t(ctx.lang).letter} reason={loaded.text} />);
    sendPage(res, status, <DetailsPage ctx={ctx} data={data} details={loaded.value} notice={notice} {...(reason !== undefined ? { reason } : {})} />);
  }

  router.get("/dead-letters/:id", async (req, res) => {
    const id = idOf(req);
    if (id === null) return notFound(res, webOf(res), String(req.params.id).slice(0, 50));
    await showDetails(res, id, 200, doneNotice(webOf(res).lang, req.query));
  });

  router.post("/dead-letters/:id/retry", operator, async (req, res) => {
    const ctx = webOf(res);
    const id = idOf(req);
    if (id === null) return notFound(res, ctx, String(req.params.id).slice(0, 50));
    const refresh = (req.body as Record<string, unknown> | undefined)?.refresh === "1";
    const result = await attempt(ctx.lang, () => actions.retry(ctx.user, id, refresh));
    if (!result.ok) return showDetails(res, id, result.status, { kind: "error", text: result.text });
    const r = result.value;
    res.redirect(303, `/dead-letters/${id}?done=${r.action}&msg=${encodeURIComponent(r.messageId)}${r.duplicate ? "&dup=1" : ""}`);
  });

  router.post("/dead-letters/:id/discard", operator, async (req, res) => {
    const ctx = webOf(res);
    const id = idOf(req);
    if (id === null) return notFound(res, ctx, String(req.params.id).slice(0, 50));
    const parsed = DiscardBodySchema.safeParse({ reason: (req.body as Record<string, unknown> | undefined)?.reason ?? "" });
    if (!parsed.success) return showDetails(res, id, 400, { kind: "error", text: t(ctx.lang).reasonRequired });
    const result = await attempt(ctx.lang, () => actions.discard(ctx.user, id, parsed.data.reason));
    if (!result.ok) return showDetails(res, id, result.status, { kind: "error", text: result.text }, parsed.data.reason);
    res.redirect(303, `/dead-letters/${id}?done=discarded`);
  });
};

import type { Request, Response } from "express";
import { desc, inArray } from "drizzle-orm";
import { deadLetters } from "@concord/db";
import { catalogEntry, type AuditEntry } from "@concord/contracts";
import type { WebData, WebPage } from "../data";
import { can, webOf, type WebContext } from "../context";
import { common, formatTime, words, type Lang } from "../i18n";
import { Page, PostForm, sendPage, type Notice } from "../layout";
import { ErrorPage, requireWebRole } from "../router";
import type { Cause, CauseSubject, GroupState } from "../failure-causes";
import { markGroup, readFailures, type GroupView } from "../failures-data";
import { describeFlow, fill, recordHref, recordKind, shown } from "./parts";

/**
 * Failures grouped by cause: the open dead letters by error code and the thing their messages
 * name ("1C rejects: article SKU-42 — 17 records"), business rejections apart from pipeline
 * faults, each group open, acknowledged or resolved (a resolved group that fails again reopens).
 */

const t = words({
  en: {
    title: "Failures by cause",
    business: "Business rejections",
    businessHint: "A target or the policy refused the records' data: fix the data, the catalogue or the policy, then retry.",
    pipeline: "Pipeline faults",
    pipelineHint: "Concord, its setup or a target's availability: fix the cause, then retry.",
    none: "No open dead letters: nothing fails.",
    noneHere: "None.",
    summary: "{groups} cause(s) of {letters} open dead letter(s).",
    truncated: "Only the newest {letters} open dead letters are grouped.",
    cause: "Cause",
    records: "Records",
    letters: "Letters",
    newest: "Newest failure",
    state: "State",
    actions: "Actions",
    open: "open",
    acknowledged: "acknowledged",
    resolved: "resolved",
    reopened: "Reopened: new dead letters since it was resolved ({by}, {at}).",
    newSince: "New dead letters since {state} ({by}, {at}).",
    markedBy: "{by}, {at}",
    acknowledge: "Acknowledge",
    resolve: "Resolve",
    reopen: "Reopen",
    note: "Note",
    showLetters: "Dead letters",
    details: "Details",
    filterClass: "Kind",
    filterState: "State",
    all: "all",
    apply: "Show",
    example: "Newest message",
    flows: "Flows",
    meaning: "Meaning",
    history: "History",
    noHistory: "Nobody has marked it yet.",
    lettersTitle: "Its open dead letters",
    letter: "Letter",
    record: "Record",
    flow: "Flow",
    failedAt: "Failed",
    noGroup: "There is no such group of open dead letters (they may have been retried or discarded meanwhile).",
    doneAcknowledged: "The group is acknowledged.",
    doneResolved: "The group is resolved: it reopens if its dead letters come again.",
    doneOpen: "The group is open again.",
    moreLetters: "… and {count} more.",
    recordsCount: "{count} record(s)",
    s_article: "article",
    s_field: "field",
    s_productRow: "rows",
    s_taxRate: "tax rate",
    s_stage: "stage",
    s_status: "1C status",
    s_pipeline: "deal pipeline",
    s_inn: "INN",
    s_counterparty: "counterparty",
    s_product: "1C product",
    s_customer: "customer",
    s_enumValue: "value",
    c_PRODUCT_NOT_FOUND: "no such 1C product",
    c_PRODUCT_WITHOUT_SKU: "rows without a product article",
    c_VAT_RATE_UNMAPPED: "a tax rate without a 1C VAT rate",
    c_STATUS_UNMAPPED: "not in the policy's status map",
    c_CATEGORY_INVALID: "a deal pipeline that is not a number",
    c_REFERENCE_GONE: "a referenced record was deleted",
    c_REFERENCE_NOT_READY: "a referenced record has no pair yet",
    c_TARGET_GONE: "the paired record was deleted",
    c_ONEC_REJECTED: "1C rejects",
    c_ONEC_INVALID: "1C refuses the request",
    c_ONEC_UNKNOWN_FIELD: "1C does not know a field",
    c_ONEC_NOT_FOUND: "not found in 1C",
    c_B24: "Bitrix24 rejects",
    c_B24_NOT_FOUND: "not found in Bitrix24",
  },
  ru: {
    title: "Сбои по причинам",
    business: "Бизнес-отказы",
    businessHint: "Система или политика отказала данным записей: исправьте данные, справочник или политику, затем повторите.",
    pipeline: "Сбои конвейера",
    pipelineHint: "Concord, его настройка или доступность систем: устраните причину, затем повторите.",
    none: "Открытых ошибок нет: ничего не сбоит.",
    noneHere: "Нет.",
    summary: "Причин: {groups}, открытых ошибок: {letters}.",
    truncated: "Сгруппированы только последние {letters} открытых ошибок.",
    cause: "Причина",
    records: "Записей",
    letters: "Ошибок",
    newest: "Последний сбой",
    state: "Состояние",
    actions: "Действия",
    open: "открыта",
    acknowledged: "принята к сведению",
    resolved: "устранена",
    reopened: "Открыта снова: после устранения ({by}, {at}) пришли новые ошибки.",
    newSince: "Новые ошибки после отметки «{state}» ({by}, {at}).",
    markedBy: "{by}, {at}",
    acknowledge: "Принять к сведению",
    resolve: "Устранена",
    reopen: "Открыть снова",
    note: "Примечание",
    showLetters: "Ошибки",
    details: "Подробнее",
    filterClass: "Вид",
    filterState: "Состояние",
    all: "все",
    apply: "Показать",
    example: "Последнее сообщение",
    flows: "Потоки",
    meaning: "Значение кода",
    history: "История",
    noHistory: "Пока никто не отмечал.",
    lettersTitle: "Её открытые ошибки",
    letter: "Ошибка",
    record: "Запись",
    flow: "Поток",
    failedAt: "Сбой",
    noGroup: "Такой группы открытых ошибок нет (их могли тем временем повторить или отбросить).",
    doneAcknowledged: "Группа принята к сведению.",
    doneResolved: "Группа отмечена устранённой: она откроется снова, если её ошибки повторятся.",
    doneOpen: "Группа снова открыта.",
    moreLetters: "… и ещё {count}.",
    recordsCount: "записей: {count}",
    s_article: "артикул",
    s_field: "поле",
    s_productRow: "строки",
    s_taxRate: "ставка налога",
    s_stage: "стадия",
    s_status: "статус 1С",
    s_pipeline: "воронка сделки",
    s_inn: "ИНН",
    s_counterparty: "контрагент",
    s_product: "товар 1С",
    s_customer: "клиент",
    s_enumValue: "значение",
    c_PRODUCT_NOT_FOUND: "нет такого товара в 1С",
    c_PRODUCT_WITHOUT_SKU: "строки без артикула товара",
    c_VAT_RATE_UNMAPPED: "ставка налога без ставки НДС 1С",
    c_STATUS_UNMAPPED: "нет в карте статусов политики",
    c_CATEGORY_INVALID: "воронка сделки — не число",
    c_REFERENCE_GONE: "связанная запись удалена",
    c_REFERENCE_NOT_READY: "у связанной записи ещё нет пары",
    c_TARGET_GONE: "парная запись удалена",
    c_ONEC_REJECTED: "1С отклоняет",
    c_ONEC_INVALID: "1С не принимает запрос",
    c_ONEC_UNKNOWN_FIELD: "1С не знает поле",
    c_ONEC_NOT_FOUND: "не найдено в 1С",
    c_B24: "Битрикс24 отклоняет",
    c_B24_NOT_FOUND: "не найдено в Битрикс24",
  },
});
type Words = ReturnType<typeof t>;
const word = (w: Words, key: string) => (w as Record<string, string>)[key];

/** The code in words where the page has them ("1C rejects"), else the code itself. */
function codeWords(w: Words, code: string): string {
  const family = code.startsWith("ONEC_INVALID") ? "ONEC_INVALID" : code.startsWith("B24_") && !word(w, `c_${code}`) ? "B24" : code;
  return word(w, `c_${family}`) ?? code;
}

/** "1C rejects: field Партнер" — or the message without ids when it names nothing. */
export function headline(lang: Lang, cause: Cause): string {
  const w = t(lang);
  const subject = cause.subject ? word(w, `s_${cause.subject satisfies CauseSubject}`) : null;
  return `${codeWords(w, cause.code)}: ${cause.value !== null ? `${subject ?? ""} ${cause.value}`.trim() : cause.text}`;
}

const stateWord = (w: Words, state: GroupState) => ({ open: w.open, acknowledged: w.acknowledged, resolved: w.resolved })[state];

/** The dead letters page filtered to the group as closely as its filters go: code, and the flow and system when the group has one. */
function lettersHref(g: GroupView): string {
  const q = new URLSearchParams({ code: g.cause.code, status: "open" });
  if (g.flows.length === 1 && g.flows[0]) q.set("flow", g.flows[0]);
  if (g.systems.length === 1 && g.systems[0]) q.set("system", g.systems[0]);
  return `/dead-letters?${q.toString()}`;
}

const groupHref = (key: string) => `/failures/group?key=${encodeURIComponent(key)}`;

function Time(props: { ctx: WebContext; at: Date }) {
  return <time datetime={props.at.toISOString()}>{formatTime(props.ctx.lang, props.at, props.ctx.timeZone)}</time>;
}

function StateCell(props: { ctx: WebContext; g: GroupView }) {
  const { ctx, g } = props;
  const w = t(ctx.lang);
  const mark = g.mark;
  const at = mark ? formatTime(ctx.lang, mark.changedAt, ctx.timeZone) : "";
  return (
    <>
      <span class={`badge ${g.status.state}`} data-testid="group-state">
        {stateWord(w, g.status.state)}
      </span>
      {g.status.reopened && mark && (
        <div class="muted" data-testid="group-reopened">
          {fill(w.reopened, { by: mark.changedBy, at })}
        </div>
      )}
      {!g.status.reopened && mark && mark.state !== "open" && (
        <div class="muted">
          {g.status.newSinceMark ? fill(w.newSince, { state: stateWord(w, mark.state), by: mark.changedBy, at }) : fill(w.markedBy, { by: mark.changedBy, at })}
        </div>
      )}
      {mark?.note && <div class="muted">{shown(mark.note, 500)}</div>}
    </>
  );
}

/** Acknowledge / resolve / reopen, as the group's state allows (operators only; the POST checks again). */
function MarkForms(props: { ctx: WebContext; g: GroupView; back: string }) {
  const { ctx, g } = props;
  const w = t(ctx.lang);
  if (!can(ctx, "operator")) return null;
  const form = (state: GroupState, label: string, testid: string, secondary: boolean) => (
    <PostForm action="/failures/mark" csrf={ctx.session.csrf} class="inline">
      <input type="hidden" name="key" value={g.key} />
      <input type="hidden" name="state" value={state} />
      <input type="hidden" name="back" value={props.back} />
      <button type="submit" class={secondary ? "secondary" : undefined} data-testid={testid}>
        {label}
      </button>
    </PostForm>
  );
  return (
    <div class="actions">
      {g.status.state === "open" && form("acknowledged", w.acknowledge, "acknowledge-group", true)}
      {g.status.state !== "resolved" && form("resolved", w.resolve, "resolve-group", false)}
      {g.status.state !== "open" && form("open", w.reopen, "reopen-group", true)}
    </div>
  );
}

function GroupsTable(props: { ctx: WebContext; groups: GroupView[]; back: string }) {
  const { ctx } = props;
  const w = t(ctx.lang);
  if (props.groups.length === 0) return <p class="muted">{w.noneHere}</p>;
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th>{w.cause}</th>
            <th>{w.records}</th>
            <th>{w.letters}</th>
            <th>{w.newest}</th>
            <th>{w.state}</th>
            <th>{w.actions}</th>
          </tr>
        </thead>
        <tbody>
          {props.groups.map((g) => (
            <tr data-testid="failure-group" data-key={g.key} data-code={g.cause.code} data-value={g.cause.value ?? undefined} data-state={g.status.state} data-class={g.business ? "business" : "pipeline"}>
              <td>
                <a href={groupHref(g.key)} data-testid="group-headline">
                  {headline(ctx.lang, g.cause)}
                </a>
                <div class="muted">
                  <code>{g.cause.code}</code> · {g.flows.map((f) => describeFlow(ctx.lang, f)).join(", ") || "—"}
                </div>
              </td>
              <td data-testid="group-records">{g.records}</td>
              <td>
                <a href={lettersHref(g)} data-testid="group-letters" data-count={String(g.letters)}>
                  {g.letters}
                </a>
              </td>
              <td>
                <Time ctx={ctx} at={g.newestFailureAt} />
              </td>
              <td>
                <StateCell ctx={ctx} g={g} />
              </td>
              <td>
                <MarkForms ctx={ctx} g={g} back={props.back} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const CLASSES = ["all", "business", "pipeline"] as const;
const STATES = ["all", "open", "acknowledged", "resolved"] as const;
const str = (v: unknown) => (typeof v === "string" ? v : "");
const pick = <T extends string>(list: readonly T[], v: unknown): T => ((list as readonly string[]).includes(str(v)) ? (str(v) as T) : list[0]!);

function doneNotice(lang: Lang, query: Request["query"]): Notice | undefined {
  const w = t(lang);
  const text = { acknowledged: w.doneAcknowledged, resolved: w.doneResolved, open: w.doneOpen }[str(query.done) as GroupState];
  return text ? { kind: "ok", text } : undefined;
}

async function listPage(req: Request, res: Response, data: WebData) {
  const ctx = webOf(res);
  const w = t(ctx.lang);
  const kind = pick(CLASSES, req.query.class);
  const state = pick(STATES, req.query.state);
  const view = await readFailures(data.db);
  const shownGroups = view.groups.filter((g) => (kind === "all" || (kind === "business") === g.business) && (state === "all" || g.status.state === state));
  const business = shownGroups.filter((g) => g.business);
  const pipeline = shownGroups.filter((g) => !g.business);
  const back = req.originalUrl.replace(/([?&])done=[^&]*&?/, "$1").replace(/[?&]$/, "");
  sendPage(res, 200, (
    <Page ctx={ctx} title={w.title} active="failures" notice={doneNotice(ctx.lang, req.query)}>
      <form method="get" action="/failures" class="filters">
        <label>
          {w.filterClass}
          <select name="class">
            {CLASSES.map((c) => (
              <option value={c} selected={c === kind}>
                {c === "all" ? w.all : c === "business" ? w.business : w.pipeline}
              </option>
            ))}
          </select>
        </label>
        <label>
          {w.filterState}
          <select name="state">
            {STATES.map((s) => (
              <option value={s} selected={s === state}>
                {s === "all" ? w.all : stateWord(w, s)}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">{w.apply}</button>
      </form>
      {view.groups.length === 0 ? (
        <p class="notice ok" data-testid="no-failures">
          {w.none}
        </p>
      ) : (
        <p data-testid="failures-summary">{fill(w.summary, { groups: view.groups.length, letters: view.letters })}</p>
      )}
      {view.truncated && <p class="muted">{fill(w.truncated, { letters: view.letters })}</p>}
      {view.groups.length > 0 && kind !== "pipeline" && (
        <section data-testid="business-groups">
          <h2>{w.business}</h2>
          <p class="muted">{w.businessHint}</p>
          <GroupsTable ctx={ctx} groups={business} back={back} />
        </section>
      )}
      {view.groups.length > 0 && kind !== "business" && (
        <section data-testid="pipeline-groups">
          <h2>{w.pipeline}</h2>
          <p class="muted">{w.pipelineHint}</p>
          <GroupsTable ctx={ctx} groups={pipeline} back={back} />
        </section>
      )}
    </Page>
  ));
}

/** Most letters the group's page lists (the dead letters page has them all). */
const GROUP_LETTERS = 200;

async function groupPage(req: Request, res: Response, data: WebData) {
  const ctx = webOf(res);
  const w = t(ctx.lang);
  const key = str(req.query.key).slice(0, 1000);
  const view = await readFailures(data.db);
  const g = view.groups.find((x) => x.key === key);
  if (!g) return sendPage(res, 404, <ErrorPage ctx={ctx} title={common(ctx.lang).notFound} reason={w.noGroup} />);
  const history: AuditEntry[] = await data.audit
    .list({ targetKind: "failure-group", targetId: key, limit: 50 })
    .then((r) => r.entries)
    .catch(() => []);
  const letters = await lettersOf(data, g.ids.slice(0, GROUP_LETTERS));
  sendPage(res, 200, (
    <Page ctx={ctx} title={headline(ctx.lang, g.cause)} active="failures" notice={doneNotice(ctx.lang, req.query)}>
      <div class="card" data-testid="failure-group" data-key={g.key} data-code={g.cause.code} data-value={g.cause.value ?? undefined} data-state={g.status.state} data-class={g.business ? "business" : "pipeline"}>
        <p>
          <code>{g.cause.code}</code> · {g.business ? w.business : w.pipeline} · {w.meaning}: <span class="muted">{catalogEntry(g.cause.code).meaning}</span>
        </p>
        <p>
          {fill(w.recordsCount, { count: g.records })} ·{" "}
          <a href={lettersHref(g)} data-testid="group-letters" data-count={String(g.letters)}>
            {w.showLetters}: {g.letters}
          </a>{" "}
          · {w.newest}: <Time ctx={ctx} at={g.newestFailureAt} />
        </p>
        <p>
          {w.flows}: {g.flows.map((f) => describeFlow(ctx.lang, f)).join(", ") || "—"}
        </p>
        <p>
          {w.state}: <StateCell ctx={ctx} g={g} />
        </p>
        <MarkForms ctx={ctx} g={g} back={groupHref(g.key)} />
        <h3>{w.example}</h3>
        <pre>{shown(g.example)}</pre>
      </div>
      <h2>{w.lettersTitle}</h2>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th>{w.letter}</th>
              <th>{w.record}</th>
              <th>{w.flow}</th>
              <th>{w.failedAt}</th>
            </tr>
          </thead>
          <tbody>
            {letters.map((l) => (
              <tr data-testid="group-letter" data-id={String(l.id)}>
                <td>
                  <a href={`/dead-letters/${l.id}`}>{l.id}</a>
                </td>
                <td>{l.system && l.entity && l.recordId ? <a href={recordHref(l.system, l.entity, l.recordId)}>{`${recordKind(ctx.lang, `${l.system}.${l.entity}`)} ${l.recordId}`}</a> : <span class="muted">—</span>}</td>
                <td>{describeFlow(ctx.lang, l.flow)}</td>
                <td>
                  <Time ctx={ctx} at={l.lastFailedAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {g.letters > letters.length && <p class="muted">{fill(w.moreLetters, { count: g.letters - letters.length })}</p>}
      <h2>{w.history}</h2>
      {history.length === 0 ? (
        <p class="muted">{w.noHistory}</p>
      ) : (
        <ul data-testid="group-history">
          {history.map((e) => (
            <li>
              {formatTime(ctx.lang, e.at, ctx.timeZone)} · {e.actor} ({e.role}) · {e.result} · {shown(e.detail, 500)}
            </li>
          ))}
        </ul>
      )}
    </Page>
  ));
}

/** The group's letters, as the list shows them (by id: the primary key). */
async function lettersOf(data: WebData, ids: readonly number[]) {
  if (ids.length === 0) return [];
  return data.db
    .select({ id: deadLetters.id, system: deadLetters.system, entity: deadLetters.entity, recordId: deadLetters.recordId, flow: deadLetters.flow, lastFailedAt: deadLetters.lastFailedAt })
    .from(deadLetters)
    .where(inArray(deadLetters.id, [...ids]))
    .orderBy(desc(deadLetters.lastFailedAt), desc(deadLetters.id));
}

const MARKS: readonly GroupState[] = ["acknowledged", "resolved", "open"];

/** GET /failures[?class=&state=], GET /failures/group?key=, POST /failures/mark (operator; key, state, note, back). */
export const failuresPage: WebPage = (router, data) => {
  router.get("/failures", (req, res) => listPage(req, res, data));
  router.get("/failures/group", (req, res) => groupPage(req, res, data));
  router.post("/failures/mark", requireWebRole("operator"), async (req, res) => {
    const ctx = webOf(res);
    const w = t(ctx.lang);
    const key = str(req.body?.key).slice(0, 1000);
    const state = str(req.body?.state) as GroupState;
    const note = shown(str(req.body?.note).trim(), 500) || null;
    if (!MARKS.includes(state)) return sendPage(res, 400, <ErrorPage ctx={ctx} title={common(ctx.lang).failed} reason={`state: ${shown(state, 40)}`} />);
    const view = await readFailures(data.db);
    const g = view.groups.find((x) => x.key === key);
    if (!g) return sendPage(res, 404, <ErrorPage ctx={ctx} title={common(ctx.lang).notFound} reason={w.noGroup} />);
    await data.audit.act(res.locals.caller, "failure-group", { kind: "failure-group", id: g.key }, async () => {
      await markGroup(data.db, g, state, ctx.user.name, note);
      return { value: undefined, detail: `${state}: ${headline("en", g.cause)} (${g.letters} open dead letter(s) of ${g.records} record(s))${note ? `; note: ${note}` : ""}` };
    });
    const back = str(req.body?.back);
    const target = /^\/failures(?:[/?][^\s\\]*)?$/.test(back) ? back : "/failures";
    res.redirect(303, `${target}${target.includes("?") ? "&" : "?"}done=${state}`);
  });
};

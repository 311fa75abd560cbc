import type { Request, Response } from "express";
import type { Candidate, Decision } from "@concord/contracts";
import { createOperatorActions } from "../../actions";
import { IdParamSchema } from "../../bodies";
import { DecideBodySchema } from "../../decisions";
import { can, webOf, type WebContext } from "../context";
import type { WebPage } from "../data";
import { formatTime, words, type Lang } from "../i18n";
import { Page, PostForm, sendPage, type Notice } from "../layout";
import { ErrorPage, requireWebRole } from "../router";
import { attempt, fill, recordKind, RecordLink, shown } from "./parts";

const t = words({
  en: {
    title: "Decisions",
    intro: "Records waiting for a person: their business keys found several records on the other side (or one already linked elsewhere). Nothing is created for them until you decide.",
    status: "Status",
    open: "waiting",
    decided: "decided",
    superseded: "superseded",
    all: "all",
    apply: "Show",
    waiting: "Waiting for a decision",
    noneOpen: "Nothing waits for a decision.",
    closed: "Closed decisions",
    noneClosed: "No closed decisions.",
    decision: "Decision",
    source: "The record",
    needs: "needs a counterpart in {target}",
    why: "Why",
    openedAt: "Waiting since",
    candidate: "Candidate",
    foundBy: "Found by",
    linkedTo: "Already linked to {to}: linking it again is refused.",
    link: "Link to this one",
    create: "Create a new one",
    ignore: "Ignore (do not sync)",
    reason: "Reason (optional, kept in the audit trail)",
    noCandidates: "No candidates are left to link to.",
    viewerNote: "Deciding needs the operator role.",
    id: "Id",
    action: "Decision",
    actionLink: "linked to {chosen}",
    actionCreate: "create new",
    actionIgnore: "ignored",
    by: "By",
    at: "When",
    supersededBy: "Linked meanwhile by its counterpart's own match (mapping {pair}).",
    doneLink: "Decision {id}: linked to {chosen}. The held records continue by themselves.",
    doneCreate: "Decision {id}: a new record will be created. The held records continue by themselves.",
    doneIgnore: "Decision {id}: the record is left unsynced.",
    badChoice: "Choose link, create or ignore.",
  },
  ru: {
    title: "Решения",
    intro: "Записи, которые ждут человека: по ключевым реквизитам нашлось несколько записей на другой стороне (или одна, уже связанная с другой). Пока вы не решите, для них ничего не создаётся.",
    status: "Статус",
    open: "ждёт",
    decided: "принято",
    superseded: "снято",
    all: "все",
    apply: "Показать",
    waiting: "Ждут решения",
    noneOpen: "Решений не ждёт ничего.",
    closed: "Закрытые решения",
    noneClosed: "Закрытых решений нет.",
    decision: "Решение",
    source: "Запись",
    needs: "нужна пара в {target}",
    why: "Почему",
    openedAt: "Ждёт с",
    candidate: "Кандидат",
    foundBy: "Найден по",
    linkedTo: "Уже связан с {to}: повторная связь будет отклонена.",
    link: "Связать с этим",
    create: "Создать новую",
    ignore: "Не синхронизировать",
    reason: "Причина (необязательно, попадёт в журнал действий)",
    noCandidates: "Кандидатов для связи не осталось.",
    viewerNote: "Решать может роль «оператор».",
    id: "№",
    action: "Решение",
    actionLink: "связано с {chosen}",
    actionCreate: "создать новую",
    actionIgnore: "не синхронизировать",
    by: "Кто",
    at: "Когда",
    supersededBy: "Тем временем связана встречным сопоставлением (пара {pair}).",
    doneLink: "Решение {id}: связано с {chosen}. Ожидавшие записи продолжат сами.",
    doneCreate: "Решение {id}: будет создана новая запись. Ожидавшие записи продолжат сами.",
    doneIgnore: "Решение {id}: запись не синхронизируется.",
    badChoice: "Выберите: связать, создать или не синхронизировать.",
  },
});

const STATUSES = ["open", "decided", "superseded", "all"] as const;
type StatusChoice = (typeof STATUSES)[number];

/** A candidate's label ("ООО Ромашка · ИНН 7701234567/770101001 · info@romashka.ru") as its lines. */
const labelLines = (label: string) => shown(label, 300).split(" · ").filter((line) => line.trim() !== "");

function CandidateCard(props: { ctx: WebContext; decision: Decision; candidate: Candidate; decide: boolean }) {
  const { ctx, candidate: c } = props;
  const w = t(ctx.lang);
  const [name = c.id, ...rest] = labelLines(c.label);
  return (
    <div class="card" data-testid="candidate" data-id={c.id}>
      <h3>{name}</h3>
      {rest.map((line) => (
        <div>{line}</div>
      ))}
      <div class="muted">
        {recordKind(ctx.lang, `${props.decision.targetSystem}.${props.decision.targetEntity}`)} <code>{c.id}</code>
      </div>
      {c.keys.length > 0 && (
        <div class="muted">
          {w.foundBy}: {c.keys.join(", ")}
        </div>
      )}
      {c.linkedTo && <p class="notice error">{fill(w.linkedTo, { to: shown(c.linkedTo, 100) })}</p>}
      {props.decide && (
        <div class="actions">
          <button type="submit" name="candidate" value={c.id} data-testid="decide-link" data-candidate={c.id}>
            {w.link}
          </button>
        </div>
      )}
    </div>
  );
}

function OpenDecision(props: { ctx: WebContext; decision: Decision }) {
  const { ctx, decision: d } = props;
  const w = t(ctx.lang);
  const decide = can(ctx, "operator");
  const body = (
    <>
      <div class="side-by-side">
        <div class="card" data-testid="decision-source">
          <h3>{w.source}</h3>
          <div>
            <strong>{shown(d.summary, 500)}</strong>
          </div>
          <div>
            <RecordLink lang={ctx.lang} system={d.source.system} entity={d.source.entity} id={d.source.id} />
          </div>
          <div class="muted">{fill(w.needs, { target: recordKind(ctx.lang, `${d.targetSystem}.${d.targetEntity}`) })}</div>
          <div class="muted">
            {w.openedAt}: {formatTime(ctx.lang, d.openedAt, ctx.timeZone)}
          </div>
        </div>
        {d.candidates.map((c) => (
          <CandidateCard ctx={ctx} decision={d} candidate={c} decide={decide} />
        ))}
      </div>
      {d.candidates.length === 0 && <p class="muted">{w.noCandidates}</p>}
      {decide ? (
        <div class="actions">
          <label>
            {w.reason}
            <input name="reason" maxLength={500} size={40} data-testid="decide-reason" />
          </label>
          <button type="submit" name="action" value="create" class="secondary" data-testid="decide-create">
            {w.create}
          </button>
          <button type="submit" name="action" value="ignore" class="secondary" data-testid="decide-ignore">
            {w.ignore}
          </button>
        </div>
      ) : (
        <p class="muted">{w.viewerNote}</p>
      )}
    </>
  );
  return (
    <section class="card decision" data-testid="decision" data-id={String(d.id)} data-status={d.status}>
      <h2>
        {w.decision} {d.id}: {shown(d.summary, 200)}
      </h2>
      <p>
        {w.why}: {shown(d.reason, 1000)}
      </p>
      {/* One form per decision: the clicked button says which choice, the reason goes with any of them. */}
      {decide ? (
        <PostForm action={`/decisions/${d.id}`} csrf={ctx.session.csrf}>
          {body}
        </PostForm>
      ) : (
        body
      )}
    </section>
  );
}

function actionText(lang: Lang, d: Decision): string {
  const w = t(lang);
  if (d.status === "superseded") return fill(w.supersededBy, { pair: d.supersededBy ?? "?" });
  if (d.action === "link") {
    const chosen = d.candidates.find((c) => c.id === d.chosenId);
    return fill(w.actionLink, { chosen: chosen ? `${labelLines(chosen.label)[0] ?? chosen.id} (${chosen.id})` : (d.chosenId ?? "?") });
  }
  if (d.action === "create") return w.actionCreate;
  if (d.action === "ignore") return w.actionIgnore;
  return "—";
}

function ClosedTable(props: { ctx: WebContext; decisions: Decision[] }) {
  const { ctx } = props;
  const w = t(ctx.lang);
  if (props.decisions.length === 0) return <p class="muted">{w.noneClosed}</p>;
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th>{w.id}</th>
            <th>{w.source}</th>
            <th>{w.status}</th>
            <th>{w.action}</th>
            <th>{w.by}</th>
            <th>{w.at}</th>
          </tr>
        </thead>
        <tbody>
          {props.decisions.map((d) => (
            <tr data-testid="decision-closed" data-id={String(d.id)} data-status={d.status}>
              <td>{d.id}</td>
              <td>
                {shown(d.summary, 200)}
                <br />
                <RecordLink lang={ctx.lang} system={d.source.system} entity={d.source.entity} id={d.source.id} />
              </td>
              <td>
                <span class={`badge ${d.status}`}>{w[d.status]}</span>
              </td>
              <td>{actionText(ctx.lang, d)}</td>
              <td>{d.decidedBy ?? "—"}</td>
              <td>{formatTime(ctx.lang, d.decidedAt ?? d.openedAt, ctx.timeZone)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function doneNotice(lang: Lang, query: Request["query"]): Notice | undefined {
  const w = t(lang);
  const id = typeof query.decision === "string" ? query.decision.slice(0, 20) : "";
  const chosen = typeof query.chosen === "string" ? query.chosen.slice(0, 100) : "";
  if (query.done === "link") return { kind: "ok", text: fill(w.doneLink, { id, chosen }) };
  if (query.done === "create") return { kind: "ok", text: fill(w.doneCreate, { id }) };
  if (query.done === "ignore") return { kind: "ok", text: fill(w.doneIgnore, { id }) };
  return undefined;
}

const CLOSED_LIMIT = 50;

/**
 * Decisions: the records waiting for a person (ambiguous matches), each with its candidates side
 * by side and the choices link to this one / create new / ignore (operator, audited like
 * `POST /api/decisions/:id`); closed ones below, or by status.
 */
export const decisionsPage: WebPage = (router, data) => {
  const actions = createOperatorActions(data);

  async function render(req: Request, res: Response, status: number, notice?: Notice) {
    const ctx = webOf(res);
    const w = t(ctx.lang);
    const asked = typeof req.query.status === "string" ? req.query.status : "open";
    const choice: StatusChoice = (STATUSES as readonly string[]).includes(asked) ? (asked as StatusChoice) : "open";
    const showOpen = choice === "open" || choice === "all";
    const open = showOpen ? (await data.decisions.list("open", 500)).decisions : [];
    const closedStatuses = choice === "decided" || choice === "superseded" ? [choice] : (["decided", "superseded"] as const);
    const closed = (await Promise.all(closedStatuses.map(async (s) => (await data.decisions.list(s, CLOSED_LIMIT)).decisions)))
      .flat()
      .sort((a, b) => (b.decidedAt ?? b.openedAt).localeCompare(a.decidedAt ?? a.openedAt))
      .slice(0, CLOSED_LIMIT);
    sendPage(res, status, (
      <Page ctx={ctx} title={w.title} active="decisions" notice={notice}>
        <p class="muted">{w.intro}</p>
        <form method="get" action="/decisions" class="filters">
          <label>
            {w.status}
            <select name="status">
              {STATUSES.map((s) => (
                <option value={s} selected={s === choice}>
                  {w[s]}
                </option>
              ))}
            </select>
          </label>
          <button type="submit">{w.apply}</button>
        </form>
        {showOpen && (
          <>
            <h2>
              {w.waiting} ({open.length})
            </h2>
            {open.length === 0 ? <p class="muted">{w.noneOpen}</p> : open.map((d) => <OpenDecision ctx={ctx} decision={d} />)}
          </>
        )}
        <h2>{w.closed}</h2>
        <ClosedTable ctx={ctx} decisions={closed} />
      </Page>
    ));
  }

  router.get("/decisions", (req, res) => render(req, res, 200, doneNotice(webOf(res).lang, req.query)));

  router.post("/decisions/:id", requireWebRole("operator"), async (req, res) => {
    const ctx = webOf(res);
    const w = t(ctx.lang);
    const id = IdParamSchema.safeParse(req.params.id);
    if (!id.success) return sendPage(res, 404, <ErrorPage ctx={ctx} title={w.decision} reason={String(req.params.id).slice(0, 50)} />);
    const form = (req.body ?? {}) as Record<string, unknown>;
    const reason = typeof form.reason === "string" && form.reason.trim() !== "" ? form.reason.trim() : undefined;
    // A link button carries its candidate; create and ignore carry the action.
    const body = DecideBodySchema.safeParse(typeof form.candidate === "string" ? { action: "link", candidate: form.candidate, reason } : { action: form.action, reason });
    if (!body.success) return render(req, res, 400, { kind: "error", text: w.badChoice });
    const result = await attempt(ctx.lang, () => actions.decide(ctx.user, id.data, body.data));
    if (!result.ok) return render(req, res, result.status, { kind: "error", text: `${w.decision} ${id.data}: ${result.text}` });
    const d = result.value.decision;
    const chosen = d.candidates.find((c) => c.id === d.chosenId);
    const q = new URLSearchParams({ done: d.action ?? body.data.action, decision: String(d.id) });
    if (d.chosenId) q.set("chosen", chosen ? `${labelLines(chosen.label)[0] ?? chosen.id} (${chosen.id})` : d.chosenId);
    res.redirect(303, `/decisions?${q.toString()}`);
  });
};

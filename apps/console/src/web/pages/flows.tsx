import type { Request } from "express";
import { FLOW_NAMES, type ExchangeEntry, type FlowName } from "@concord/contracts";
import { masker } from "@concord/telemetry";
import { callerOf } from "../../auth";
import { FlowModeBodySchema, parseFlowName, switchFlowAudited } from "../../flows";
import type { WebPage } from "../data";
import { can, webOf, type WebContext } from "../context";
import { common, formatTime, words } from "../i18n";
import { Page, PostForm, sendPage, type Notice } from "../layout";
import { ErrorPage, requireWebRole } from "../router";
import { flowTitle } from "../flow-health";

const t = words({
  en: {
    intro: "Each flow is live (writes) or in dry-run (the whole path runs, the writers record what they would write and write nothing).",
    flow: "Flow",
    mode: "Mode",
    since: "Since",
    by: "Set by",
    source: "Follows",
    sourcePolicy: "the policy file",
    sourceConsole: "a person's switch",
    previous: "Before",
    live: "live",
    dryRun: "dry-run",
    notRecorded: "not recorded yet (the policy's default)",
    switchTo: "Switch",
    toDryRun: "Switch to dry-run",
    toLive: "Switch to live",
    reason: "Reason (in the audit trail)",
    liveWarning: "Going live decides again, live, every record the dry-run decided: each write it showed that is still due is made.",
    adminOnly: "Only an admin switches flows.",
    switched: "{flow}: switched to {mode}.",
    already: "{flow}: already {mode}.",
    replayed: "Decided again, live: {records} record(s).",
    writes: "Would-be writes",
    writesIntro: "What the writers would have written in this flow's dry-runs, newest first (masked).",
    show: "Show",
    limit: "How many",
    at: "When",
    stage: "Stage",
    record: "Record",
    target: "Target",
    detail: "Would write",
    noWrites: "No would-be writes recorded for this flow.",
    writesFailed: "The would-be writes could not be read: {reason}",
    badFlow: "Unknown flow",
    badForm: "The form is not complete",
  },
  ru: {
    intro: "Поток работает (пишет) или в пробном режиме (весь путь проходит, писатели записывают, что записали бы, и ничего не пишут).",
    flow: "Поток",
    mode: "Режим",
    since: "С",
    by: "Кто включил",
    source: "Источник",
    sourcePolicy: "файл политики",
    sourceConsole: "переключение человеком",
    previous: "До этого",
    live: "рабочий",
    dryRun: "пробный",
    notRecorded: "ещё не записан (по умолчанию из политики)",
    switchTo: "Переключить",
    toDryRun: "Включить пробный режим",
    toLive: "Включить рабочий режим",
    reason: "Причина (в журнал действий)",
    liveWarning: "В рабочем режиме всё, что решено в пробном, решается заново: каждая показанная запись, которая ещё нужна, будет сделана.",
    adminOnly: "Переключать потоки может только администратор.",
    switched: "{flow}: режим {mode}.",
    already: "{flow}: режим уже {mode}.",
    replayed: "Решено заново в рабочем режиме: {records}.",
    writes: "Что было бы записано",
    writesIntro: "Что писатели записали бы в пробном режиме этого потока, новые сверху (с маскированием).",
    show: "Показать",
    limit: "Сколько",
    at: "Когда",
    stage: "Этап",
    record: "Запись",
    target: "Куда",
    detail: "Что было бы записано",
    noWrites: "Для этого потока ничего не записано.",
    writesFailed: "Не удалось прочитать: {reason}",
    badFlow: "Неизвестный поток",
    badForm: "Форма заполнена не полностью",
  },
});

const fill = (template: string, values: Record<string, string | number>) => template.replace(/\{(\w+)\}/g, (_, key: string) => String(values[key] ?? ""));
const LIMITS = [20, 50, 100, 500] as const;

/** The notice after a switch (Post/Redirect/Get: the result rides in the query). */
function noticeOf(req: Request, ctx: WebContext): Notice | undefined {
  const flow = parseFlowName(req.query.switched);
  if (!flow.success) return undefined;
  const w = t(ctx.lang);
  const mode = req.query.to === "dry-run" ? w.dryRun : w.live;
  const records = Number(req.query.records);
  const text = `${fill(req.query.changed === "1" ? w.switched : w.already, { flow: flowTitle(ctx.lang, flow.data), mode })}${Number.isInteger(records) && records >= 0 && req.query.records !== undefined ? ` ${fill(w.replayed, { records })}` : ""}`;
  return { kind: "ok", text };
}

function WouldBeWrites(props: { ctx: WebContext; flow: FlowName; limit: number; writes: ExchangeEntry[] | { error: string } }) {
  const { ctx } = props;
  const w = t(ctx.lang);
  return (
    <section data-testid="would-be-writes" data-flow={props.flow}>
      <h2>
        {w.writes}: {flowTitle(ctx.lang, props.flow)}
      </h2>
      <p class="muted">{w.writesIntro}</p>
      <form method="get" action="/flows" class="filters">
        <label>
          {w.flow}
          <select name="writes">
            {FLOW_NAMES.map((f) => (
              <option value={f} selected={f === props.flow}>
                {flowTitle(ctx.lang, f)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {w.limit}
          <select name="limit">
            {LIMITS.map((n) => (
              <option value={String(n)} selected={n === props.limit}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" class="secondary">
          {w.show}
        </button>
      </form>
      {"error" in props.writes ? (
        <p class="notice error" role="alert">
          {fill(w.writesFailed, { reason: props.writes.error })}
        </p>
      ) : props.writes.length === 0 ? (
        <p class="muted" data-testid="would-be-writes-none">
          {w.noWrites}
        </p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>{w.at}</th>
                <th>{w.stage}</th>
                <th>{w.record}</th>
                <th>{w.target}</th>
                <th>{w.detail}</th>
              </tr>
            </thead>
            <tbody>
              {props.writes.map((e) => (
                <tr data-testid="would-be-write">
                  <td>{formatTime(ctx.lang, e.at, ctx.timeZone)}</td>
                  <td>{e.stage}</td>
                  <td>
                    <a href={`/records?q=${encodeURIComponent(e.subject.id)}`}>{`${e.subject.system} ${e.subject.entity} ${e.subject.id}`}</a>
                  </td>
                  <td>{e.target ? `${e.target.system} ${e.target.entity} ${e.target.id}` : "—"}</td>
                  <td>
                    <code>{masker.text(e.detail)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** Flows: each flow's mode, since when and by whom; an admin switches dry-run on and off; the would-be writes. */
export const flowsPage: WebPage = (router, data) => {
  router.get("/flows", async (req, res) => {
    const ctx = webOf(res);
    const w = t(ctx.lang);
    const modes = await data.flows.list();
    const asked = parseFlowName(req.query.writes);
    const shown: FlowName = asked.success ? asked.data : (modes.find((m) => m.mode === "dry-run")?.flow ?? "orders.crmToOnec");
    const limitAsked = Number(req.query.limit);
    const limit = LIMITS.includes(limitAsked as (typeof LIMITS)[number]) ? limitAsked : 50;
    const writes = await data.flows.wouldBeWrites(shown, { limit }).then(
      (r) => r.writes,
      (error: unknown) => ({ error: masker.text(String((error as Error)?.message ?? error)).slice(0, 300) }),
    );
    const admin = can(ctx, "admin");
    sendPage(
      res,
      200,
      <Page ctx={ctx} title={common(ctx.lang).flows} active="flows" notice={noticeOf(req, ctx)}>
        <p class="muted">{w.intro}</p>
        {!admin && <p class="muted">{w.adminOnly}</p>}
        <div class="table-wrap">
          <table data-testid="flows-table">
            <thead>
              <tr>
                <th>{w.flow}</th>
                <th>{w.mode}</th>
                <th>{w.since}</th>
                <th>{w.by}</th>
                <th>{w.source}</th>
                <th>{w.previous}</th>
                {admin && <th>{w.switchTo}</th>}
              </tr>
            </thead>
            <tbody>
              {modes.map((m) => {
                const next = m.mode === "dry-run" ? "live" : "dry-run";
                return (
                  <tr data-testid={`flow-row-${m.flow}`} data-mode={m.mode}>
                    <td>{flowTitle(ctx.lang, m.flow)}</td>
                    <td>
                      <span class={`badge ${m.mode === "dry-run" ? "dry-run" : "healthy"}`} data-testid="flow-mode">
                        {m.mode === "dry-run" ? w.dryRun : w.live}
                      </span>
                    </td>
                    <td>{m.since ? formatTime(ctx.lang, m.since, ctx.timeZone) : w.notRecorded}</td>
                    <td>{m.record?.by ?? "—"}</td>
                    <td>{m.record ? (m.record.source === "console" ? w.sourceConsole : w.sourcePolicy) : w.sourcePolicy}</td>
                    <td>{m.record?.previous ? `${m.record.previous.mode === "dry-run" ? w.dryRun : w.live} (${formatTime(ctx.lang, m.record.previous.since, ctx.timeZone)})` : "—"}</td>
                    {admin && (
                      <td>
                        <PostForm action={`/flows/${m.flow}`} csrf={ctx.session.csrf} class="actions">
                          <input type="hidden" name="mode" value={next} />
                          <label>
                            {w.reason}
                            <input type="text" name="reason" maxLength={500} />
                          </label>
                          <button type="submit" class={next === "live" ? undefined : "secondary"} data-testid={`switch-${m.flow}`}>
                            {next === "live" ? w.toLive : w.toDryRun}
                          </button>
                          {next === "live" && <span class="muted">{w.liveWarning}</span>}
                        </PostForm>
                      </td>
                    )}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
        <WouldBeWrites ctx={ctx} flow={shown} limit={limit} writes={writes} />
      </Page>,
    );
  });

  router.post("/flows/:flow", requireWebRole("admin"), async (req, res) => {
    const ctx = webOf(res);
    const w = t(ctx.lang);
    const flow = parseFlowName(req.params.flow);
    if (!flow.success) return sendPage(res, 404, <ErrorPage ctx={ctx} title={w.badFlow} reason={`${w.badFlow}: ${String(req.params.flow).slice(0, 100)}`} />);
    const reason = typeof req.body?.reason === "string" && req.body.reason.trim() !== "" ? req.body.reason.trim() : undefined;
    const body = FlowModeBodySchema.safeParse({ mode: req.body?.mode, ...(reason ? { reason } : {}) });
    if (!body.success) return sendPage(res, 400, <ErrorPage ctx={ctx} title={w.badForm} reason={w.badForm} />);
    const result = await switchFlowAudited(data.flows, data.audit, callerOf(res), flow.data, body.data);
    const query = new URLSearchParams({ switched: flow.data, to: result.mode, changed: result.changed ? "1" : "0" });
    if (result.replay) query.set("records", String(result.replay.records));
    res.redirect(303, `/flows?${query.toString()}`);
  });
};

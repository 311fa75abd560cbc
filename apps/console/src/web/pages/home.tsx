import type { AlertView } from "@concord/contracts";
import type { WebPage } from "../data";
import { webOf, type WebContext } from "../context";
import { common, formatDuration, formatTime, words, type Lang } from "../i18n";
import { Page, sendPage } from "../layout";
import { createFlowFactsReader, type Bucket, type FlowView, type HomeView, type QueueView } from "../flow-facts";
import { describeReason, flowTitle, stateWord } from "../flow-health";

const t = words({
  en: {
    intro: "Each flow's state and why, the last hour and day of its outcomes, and what waits.",
    reasons: "Why",
    success: "Success, last hour",
    noOutcomes: "no outcomes",
    handled: "Handled, last hour",
    failed: "failed",
    retries: "retries",
    backlog: "Waiting",
    oldest: "oldest {age}",
    nothingWaits: "nothing",
    deadLetters: "Open dead letters",
    newLastHour: "{count} new",
    decisions: "Waiting for a decision",
    conflicts: "Conflicts, last day",
    alerts: "Active alerts",
    alertsOff: "alerts not configured",
    unknown: "unknown",
    hourChart: "Last hour (5-minute bars)",
    dayChart: "Last day (1-hour bars)",
    legendOk: "done",
    legendFailed: "failed",
    legendRetries: "retries",
    bar: "{from}: {ok} done, {failed} failed, {retries} retries",
    mode: "Mode",
    live: "live",
    dryRun: "dry-run",
    queues: "Queues",
    queuesIntro: "Each consumer's messages: not yet delivered, and delivered but not acknowledged (in handling, waiting for a retry, or held for a decision).",
    stream: "Stream",
    consumer: "Consumer",
    pending: "Not delivered",
    ackPending: "Unacknowledged",
    oldestUnacked: "Oldest unacknowledged",
    alertsTitle: "Active alerts",
    alertsNotConfigured: "Alerts are not configured (CONSOLE_ALERTS_FILE): nothing is evaluated or sent.",
    noAlerts: "No active alerts.",
    rule: "Rule",
    summary: "What",
    firedAt: "Since",
    withoutFlow: "Open dead letters of no known flow: {count}",
    problems: "Not everything could be read",
    updated: "As of {at}",
    flows: "Flows",
  },
  ru: {
    intro: "Состояние каждого потока и его причина, итоги обмена за час и за сутки, и что ждёт.",
    reasons: "Почему",
    success: "Успешно за час",
    noOutcomes: "обменов не было",
    handled: "Обработано за час",
    failed: "ошибок",
    retries: "повторов",
    backlog: "Ждут",
    oldest: "старейшее {age}",
    nothingWaits: "ничего",
    deadLetters: "В очереди ошибок",
    newLastHour: "новых: {count}",
    decisions: "Ждут решения",
    conflicts: "Конфликтов за сутки",
    alerts: "Активные оповещения",
    alertsOff: "оповещения не настроены",
    unknown: "неизвестно",
    hourChart: "Последний час (по 5 минут)",
    dayChart: "Последние сутки (по часу)",
    legendOk: "прошло",
    legendFailed: "ошибки",
    legendRetries: "повторы",
    bar: "{from}: прошло {ok}, ошибок {failed}, повторов {retries}",
    mode: "Режим",
    live: "рабочий",
    dryRun: "пробный",
    queues: "Очереди",
    queuesIntro: "Сообщения каждого потребителя: ещё не выданные и выданные, но не подтверждённые (в обработке, ждут повтора или решения человека).",
    stream: "Поток сообщений",
    consumer: "Потребитель",
    pending: "Не выданы",
    ackPending: "Не подтверждены",
    oldestUnacked: "Старейшее неподтверждённое",
    alertsTitle: "Активные оповещения",
    alertsNotConfigured: "Оповещения не настроены (CONSOLE_ALERTS_FILE): ничего не проверяется и не отправляется.",
    noAlerts: "Активных оповещений нет.",
    rule: "Правило",
    summary: "Что",
    firedAt: "С",
    withoutFlow: "В очереди ошибок без известного потока: {count}",
    problems: "Прочитано не всё",
    updated: "На {at}",
    flows: "Потоки",
  },
});

const fill = (template: string, values: Record<string, string | number>) => template.replace(/\{(\w+)\}/g, (_, key: string) => String(values[key] ?? ""));

const clock = (lang: Lang, ms: number, timeZone: string) => new Intl.DateTimeFormat(lang === "ru" ? "ru-RU" : "en-GB", { hour: "2-digit", minute: "2-digit", timeZone }).format(new Date(ms));

/** Bars of done, failed and retried outcomes per bucket, as inline SVG (no script, no external image). */
function Chart(props: { ctx: WebContext; buckets: Bucket[]; title: string; testid: string; labelEvery: number }) {
  const { ctx, buckets } = props;
  const w = t(ctx.lang);
  // One width for every chart, whatever its number of bars: the hour's and the day's line up.
  const width = 240;
  const step = width / Math.max(1, buckets.length);
  const gap = step / 6;
  const barW = step - gap;
  const plotH = 60;
  const max = Math.max(1, ...buckets.map((b) => b.ok + b.failed + b.retries));
  const scale = (n: number) => (n / max) * plotH;
  const total = buckets.reduce((s, b) => s + b.ok + b.failed + b.retries, 0);
  return (
    <figure class="chart" data-testid={props.testid} data-total={String(total)}>
      <figcaption class="muted">{props.title}</figcaption>
      <svg class="chart" viewBox={`0 0 ${width} ${plotH + 12}`} role="img" aria-label={`${props.title}: ${total}`} preserveAspectRatio="none">
        {buckets.map((b, i) => {
          const x = Math.round(i * step * 100) / 100;
          const hOk = scale(b.ok);
          const hFailed = scale(b.failed);
          const hRetries = scale(b.retries);
          const label = fill(w.bar, { from: clock(ctx.lang, b.start, ctx.timeZone), ok: b.ok, failed: b.failed, retries: b.retries });
          return (
            <g>
              <title>{label}</title>
              <rect class="bg" x={x} y={0} width={barW.toFixed(2)} height={plotH} />
              {hOk > 0 && <rect class="ok" x={x} y={(plotH - hOk).toFixed(2)} width={barW.toFixed(2)} height={hOk.toFixed(2)} />}
              {hRetries > 0 && <rect class="retries" x={x} y={(plotH - hOk - hRetries).toFixed(2)} width={barW.toFixed(2)} height={hRetries.toFixed(2)} />}
              {hFailed > 0 && <rect class="failed" x={x} y={(plotH - hOk - hRetries - hFailed).toFixed(2)} width={barW.toFixed(2)} height={hFailed.toFixed(2)} />}
              {i % props.labelEvery === 0 && (
                <text class="axis" x={x} y={plotH + 10}>
                  {clock(ctx.lang, b.start, ctx.timeZone)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
    </figure>
  );
}

function FlowCard(props: { ctx: WebContext; view: FlowView; now: number; alertsConfigured: boolean }) {
  const { ctx, view, now } = props;
  const w = t(ctx.lang);
  const { facts, health } = view;
  const hour = facts.lastHour;
  const finished = hour ? hour.ok + hour.failed : 0;
  const backlog = facts.backlog;
  const dl = facts.deadLetters;
  return (
    <section class="card flow" data-testid={`flow-${facts.flow}`} data-state={health.state} aria-labelledby={`flow-title-${facts.flow}`}>
      <h3 id={`flow-title-${facts.flow}`}>
        <a href="/flows">{flowTitle(ctx.lang, facts.flow)}</a>{" "}
        <span class={`badge ${health.state}`} data-testid="flow-state">
          {stateWord(ctx.lang, health.state)}
        </span>
      </h3>
      <ul class="reasons" data-testid="flow-reasons">
        {health.reasons.map((r) => (
          <li data-reason={r.kind}>{describeReason(ctx.lang, r, ctx.timeZone, now)}</li>
        ))}
      </ul>
      <dl class="facts">
        <dt>{w.mode}</dt>
        <dd data-testid="flow-mode">{facts.mode.mode === "dry-run" ? w.dryRun : w.live}</dd>
        <dt>{w.success}</dt>
        <dd data-testid="flow-success">{!hour ? w.unknown : finished === 0 ? w.noOutcomes : `${Math.floor((1000 * hour.ok) / finished) / 10} % (${hour.ok}/${finished})`}</dd>
        <dt>{w.handled}</dt>
        <dd data-testid="flow-handled">{hour ? `${hour.ok + hour.failed} · ${w.failed} ${hour.failed} · ${w.retries} ${hour.retries}` : w.unknown}</dd>
        <dt>{w.backlog}</dt>
        <dd data-testid="flow-backlog">{!backlog ? w.unknown : backlog.waiting === 0 || !backlog.oldestAt ? w.nothingWaits : `${backlog.waiting}${backlog.capped ? "+" : ""} · ${fill(w.oldest, { age: formatDuration(ctx.lang, now - Date.parse(backlog.oldestAt)) })}`}</dd>
        <dt>{w.deadLetters}</dt>
        <dd data-testid="flow-dead-letters">
          {!dl ? (
            w.unknown
          ) : dl.open === 0 ? (
            "0"
          ) : (
            <a href="/dead-letters?status=open">
              {dl.open}
              {dl.newLastHour > 0 ? ` (${fill(w.newLastHour, { count: dl.newLastHour })})` : ""}
            </a>
          )}
        </dd>
        <dt>{w.decisions}</dt>
        <dd data-testid="flow-decisions">{view.decisionsWaiting === null ? w.unknown : view.decisionsWaiting > 0 ? <a href="/decisions">{view.decisionsWaiting}</a> : "0"}</dd>
        <dt>{w.conflicts}</dt>
        <dd data-testid="flow-conflicts">{view.conflicts === null ? w.unknown : `${view.conflicts.count}${view.conflicts.capped ? "+" : ""}`}</dd>
        <dt>{w.alerts}</dt>
        <dd data-testid="flow-alerts">{view.alerts !== null ? view.alerts.length : props.alertsConfigured ? w.unknown : w.alertsOff}</dd>
      </dl>
      {view.hour && <Chart ctx={ctx} buckets={view.hour} title={w.hourChart} testid="flow-chart-hour" labelEvery={3} />}
      {view.day && <Chart ctx={ctx} buckets={view.day} title={w.dayChart} testid="flow-chart-day" labelEvery={6} />}
    </section>
  );
}

function Queues(props: { ctx: WebContext; queues: QueueView[]; now: number }) {
  const w = t(props.ctx.lang);
  return (
    <>
      <h2>{w.queues}</h2>
      <p class="muted">{w.queuesIntro}</p>
      <div class="table-wrap">
        <table data-testid="queues">
          <thead>
            <tr>
              <th>{w.consumer}</th>
              <th>{w.stream}</th>
              <th>{w.pending}</th>
              <th>{w.ackPending}</th>
              <th>{w.oldestUnacked}</th>
            </tr>
          </thead>
          <tbody>
            {props.queues.map((q) => (
              <tr data-testid={`queue-${q.consumer}`}>
                <td>{q.consumer}</td>
                <td>
                  <code>{q.stream}</code>
                </td>
                <td>{q.pending}</td>
                <td>{q.ackPending}</td>
                <td>{q.oldestAt ? `${formatDuration(props.ctx.lang, props.now - Date.parse(q.oldestAt))} (${formatTime(props.ctx.lang, q.oldestAt, props.ctx.timeZone)})` : "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function Alerts(props: { ctx: WebContext; alerts: HomeView["alerts"] }) {
  const { ctx } = props;
  const w = t(ctx.lang);
  const active: AlertView[] | null = props.alerts.active;
  return (
    <>
      <h2>{w.alertsTitle}</h2>
      {!props.alerts.configured ? (
        <p class="muted" data-testid="alerts-off">
          {w.alertsNotConfigured}
        </p>
      ) : active === null ? (
        <p class="muted">{w.unknown}</p>
      ) : active.length === 0 ? (
        <p class="muted" data-testid="alerts-none">
          {w.noAlerts}
        </p>
      ) : (
        <div class="table-wrap">
          <table data-testid="alerts">
            <thead>
              <tr>
                <th>{w.rule}</th>
                <th>{w.summary}</th>
                <th>{w.firedAt}</th>
              </tr>
            </thead>
            <tbody>
              {active.map((a) => (
                <tr data-testid={`alert-${a.id}`}>
                  <td>
                    <span class="badge open">{a.rule}</span>
                  </td>
                  <td>{a.summary}</td>
                  <td>{formatTime(ctx.lang, a.firedAt, ctx.timeZone)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

/** Home: every flow's state with its reason in words, its last hour and day, and what waits. */
export const homePage: WebPage = (router, data) => {
  const reader = createFlowFactsReader(data);
  // Best effort: a failure here is the first look's to meet and to show.
  reader.warm().catch(() => undefined);
  router.get("/", async (_req, res) => {
    const ctx = webOf(res);
    const w = t(ctx.lang);
    const view = await reader.read();
    sendPage(
      res,
      200,
      <Page ctx={ctx} title={common(ctx.lang).home} active="home">
        <p class="muted">
          {w.intro} <span data-testid="home-updated">{fill(w.updated, { at: formatTime(ctx.lang, view.now, ctx.timeZone) })}</span>
        </p>
        <div class="cards flows" data-testid="flows">
          {view.flows.map((f) => (
            <FlowCard ctx={ctx} view={f} now={view.now} alertsConfigured={view.alerts.configured} />
          ))}
        </div>
        {view.deadLettersWithoutFlow !== null && view.deadLettersWithoutFlow > 0 && (
          <p>
            <a href="/dead-letters?status=open">{fill(w.withoutFlow, { count: view.deadLettersWithoutFlow })}</a>
          </p>
        )}
        <Alerts ctx={ctx} alerts={view.alerts} />
        {view.queues && <Queues ctx={ctx} queues={view.queues} now={view.now} />}
        {view.problems.length > 0 && (
          <>
            <h2>{w.problems}</h2>
            <ul class="notice error" data-testid="home-problems">
              {view.problems.map((p) => (
                <li>{p}</li>
              ))}
            </ul>
          </>
        )}
      </Page>,
    );
  });
};

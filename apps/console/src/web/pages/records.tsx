import type { Request } from "express";
import { recordIdProblem, type Entity, type System } from "@concord/contracts";
import type { WebPage, RecordLinks } from "../data";
import { webOf, type WebContext } from "../context";
import { common, formatDuration, formatTime, words, type Lang } from "../i18n";
import { Page, sendPage } from "../layout";
import { ErrorPage } from "../router";
import { parseRecordQuery, recordUrl, traceUrl } from "../record-links";
import { findRecords, recordTimeline, refKey, TIMELINE_LIMIT, type FoundRecord, type Ref, type Timeline, type TimelineItem } from "../records-data";
import { fill, recordHref, recordKind, shown, SYSTEM_NAMES } from "./parts";

/**
 * Records: one search box for whatever a person has at hand — a Bitrix24 id, a 1C Ref_Key, an
 * order number, an INN, a trace id, a link copied from either system — and each record's
 * timeline: its whole history across both systems, with its pair.
 */

const t = words({
  en: {
    title: "Records",
    search: "Find",
    searchLabel: "Bitrix24 id, 1C Ref_Key, order number, INN or trace id",
    searchHint: "Also a link copied from Bitrix24 or 1C, or the deal reference B24-D-42 a 1C order carries.",
    nothing: "Nothing Concord knows matches “{q}”.",
    found: "{count} record(s) match “{q}”.",
    record: "Record",
    knownAs: "Known as",
    pair: "Pair",
    foundBy: "Found by",
    open: "Open",
    viaId: "id",
    viaLink: "link",
    viaMarker: "deal reference",
    viaNumber: "order number",
    viaInn: "INN",
    viaTrace: "trace",
    noPair: "no pair",
    openIn: "Open in {system}",
    timeline: "History",
    newestFirst: "Newest first",
    oldestFirst: "Oldest first",
    time: "Time",
    stage: "Stage",
    result: "Result",
    what: "What happened",
    attempts: "Attempt",
    trace: "Trace",
    calls: "{count} call(s) to the target",
    empty: "Concord has no history of this record (yet).",
    truncated: "Only the newest {limit} rows of each kind are shown.",
    state: "Pair state",
    createdBy: "Paired by",
    since: "Since",
    confirmed: "Confirmed",
    number: "Number",
    inn: "INN",
    name: "Name",
    deadLetter: "Dead letter {id}",
    decision: "Decision {id}",
    conflictText: "{field} edited on both sides: Bitrix24 {crm}, 1C {onec}; kept {winner}'s ({rule})",
    decisionOpened: "Waits for a person: {summary} — {reason}",
    decisionDecided: "Decided by {by}: {action}{chosen}",
    decisionSuperseded: "Superseded: linked meanwhile by its counterpart's own match",
    candidates: "Candidates: {list}",
    pairClaimed: "Pair claimed ({by}) with {other}",
    pairConfirmed: "Pair confirmed with {other}",
    pairDeleted: "Pair ended: deleted in {by}",
    letterText: "{code}: {message} ({status}; {attempts} deliveries since {first})",
    badRecord: "Not a record: {problem}",
    targetRecord: "→ {record}",
    r_accepted: "accepted",
    r_commanded: "commanded",
    r_created: "created",
    r_applied: "applied",
    r_echo: "echo",
    r_stale: "stale",
    r_skipped: "skipped",
    r_retrying: "retrying",
    "r_dead-lettered": "dead-lettered",
    r_compensated: "compensated",
    "r_dry-run": "dry-run",
    r_held: "held",
    r_conflict: "conflict",
    "r_dead-letter": "dead letter",
    "r_decision-opened": "decision needed",
    "r_decision-decided": "decided",
    "r_decision-superseded": "superseded",
    "r_pair-claimed": "pair claimed",
    "r_pair-confirmed": "pair confirmed",
    "r_pair-deleted": "pair ended",
  },
  ru: {
    title: "Записи",
    search: "Найти",
    searchLabel: "Id в Битрикс24, Ref_Key 1С, номер заказа, ИНН или trace id",
    searchHint: "Или ссылка из Битрикс24 или 1С, или ссылка на сделку B24-D-42 из заказа 1С.",
    nothing: "Concord не знает ничего по запросу «{q}».",
    found: "Найдено записей по запросу «{q}»: {count}.",
    record: "Запись",
    knownAs: "Известна как",
    pair: "Пара",
    foundBy: "Найдена по",
    open: "Открыть",
    viaId: "id",
    viaLink: "ссылке",
    viaMarker: "ссылке на сделку",
    viaNumber: "номеру заказа",
    viaInn: "ИНН",
    viaTrace: "трассе",
    noPair: "без пары",
    openIn: "Открыть в {system}",
    timeline: "История",
    newestFirst: "Сначала новые",
    oldestFirst: "Сначала старые",
    time: "Время",
    stage: "Этап",
    result: "Итог",
    what: "Что произошло",
    attempts: "Попытка",
    trace: "Трасса",
    calls: "Вызовов системы: {count}",
    empty: "У Concord (пока) нет истории этой записи.",
    truncated: "Показаны только последние {limit} строк каждого вида.",
    state: "Состояние пары",
    createdBy: "Связал",
    since: "С",
    confirmed: "Подтверждена",
    number: "Номер",
    inn: "ИНН",
    name: "Название",
    deadLetter: "Ошибка {id}",
    decision: "Решение {id}",
    conflictText: "{field} изменено с обеих сторон: Битрикс24 {crm}, 1С {onec}; оставлено значение {winner} ({rule})",
    decisionOpened: "Ждёт решения человека: {summary} — {reason}",
    decisionDecided: "Решил {by}: {action}{chosen}",
    decisionSuperseded: "Не понадобилось: запись тем временем связана по встречному совпадению",
    candidates: "Кандидаты: {list}",
    pairClaimed: "Пара заявлена ({by}) с {other}",
    pairConfirmed: "Пара подтверждена с {other}",
    pairDeleted: "Пара завершена: удалено в {by}",
    letterText: "{code}: {message} ({status}; доставок: {attempts}, с {first})",
    badRecord: "Это не запись: {problem}",
    targetRecord: "→ {record}",
    r_accepted: "принято",
    r_commanded: "команда",
    r_created: "создано",
    r_applied: "записано",
    r_echo: "эхо",
    r_stale: "устарело",
    r_skipped: "пропущено",
    r_retrying: "повтор",
    "r_dead-lettered": "в очередь ошибок",
    r_compensated: "отменено",
    "r_dry-run": "пробный режим",
    r_held: "ждёт решения",
    r_conflict: "конфликт",
    "r_dead-letter": "ошибка",
    "r_decision-opened": "нужно решение",
    "r_decision-decided": "решено",
    "r_decision-superseded": "не понадобилось",
    "r_pair-claimed": "пара заявлена",
    "r_pair-confirmed": "пара подтверждена",
    "r_pair-deleted": "пара завершена",
  },
});
type Words = ReturnType<typeof t>;

const resultWord = (w: Words, result: string) => (w as Record<string, string>)[`r_${result}`] ?? result;
const viaWord = (w: Words, via: FoundRecord["via"]) => ({ id: w.viaId, link: w.viaLink, marker: w.viaMarker, number: w.viaNumber, inn: w.viaInn, trace: w.viaTrace })[via];
const refName = (lang: Lang, r: Ref) => `${recordKind(lang, `${r.system}.${r.entity}`)} ${r.id}`;

function Time(props: { ctx: WebContext; at: Date | null }) {
  if (!props.at) return <span class="muted">—</span>;
  return <time datetime={props.at.toISOString()}>{formatTime(props.ctx.lang, props.at, props.ctx.timeZone)}</time>;
}

/** "Open in Bitrix24" / "Open in 1C", when the console knows where that system is. */
function SystemLink(props: { lang: Lang; links: RecordLinks; record: Ref }) {
  const href = recordUrl(props.links, props.record.system, props.record.entity, props.record.id);
  if (!href) return null;
  return (
    <a href={href} rel="noreferrer noopener" target="_blank" data-testid="system-link" data-system={props.record.system}>
      {fill(t(props.lang).openIn, { system: SYSTEM_NAMES[props.record.system][props.lang] })}
    </a>
  );
}

function TraceLink(props: { links: RecordLinks; traceId: string | null }) {
  if (!props.traceId) return <span class="muted">—</span>;
  const href = traceUrl(props.links, props.traceId);
  const short = props.traceId.slice(0, 8);
  return href ? (
    <a href={href} rel="noreferrer noopener" target="_blank" data-testid="trace-link" title={props.traceId}>
      {short}
    </a>
  ) : (
    <a href={`/records?q=${props.traceId}`} title={props.traceId}>
      {short}
    </a>
  );
}

function SearchForm(props: { lang: Lang; q: string }) {
  const w = t(props.lang);
  return (
    <form method="get" action="/records" class="filters" role="search">
      <label>
        {w.searchLabel}
        <input type="search" name="q" value={props.q} size={40} maxlength={200} data-testid="record-search" autofocus />
      </label>
      <button type="submit">{w.search}</button>
    </form>
  );
}

function SearchPage(props: { ctx: WebContext; links: RecordLinks; q: string; found: FoundRecord[] | null }) {
  const { ctx, q, found } = props;
  const w = t(ctx.lang);
  return (
    <Page ctx={ctx} title={w.title} active="records">
      <SearchForm lang={ctx.lang} q={q} />
      <p class="muted">{w.searchHint}</p>
      {found && found.length === 0 && (
        <p class="notice" data-testid="record-nothing">
          {fill(w.nothing, { q })}
        </p>
      )}
      {found && found.length > 0 && (
        <>
          <p>{fill(w.found, { q, count: found.length })}</p>
          <div class="table-wrap">
            <table data-testid="record-results">
              <thead>
                <tr>
                  <th>{w.record}</th>
                  <th>{w.knownAs}</th>
                  <th>{w.pair}</th>
                  <th>{w.foundBy}</th>
                  <th>{w.open}</th>
                </tr>
              </thead>
              <tbody>
                {found.map((f) => (
                  <tr data-testid="record-result" data-system={f.ref.system} data-entity={f.ref.entity} data-id={f.ref.id}>
                    <td>
                      <a href={recordHref(f.ref.system, f.ref.entity, f.ref.id)}>{refName(ctx.lang, f.ref)}</a>
                    </td>
                    <td>{[f.number, f.title, f.inn && `${w.inn} ${f.inn}`].filter(Boolean).join(" · ") || <span class="muted">—</span>}</td>
                    <td>
                      {f.pairs.length === 0 && <span class="muted">{w.noPair}</span>}
                      {f.pairs.map((p) => (
                        <div>
                          {p.other ? <a href={recordHref(p.other.system, p.other.entity, p.other.id)}>{refName(ctx.lang, p.other)}</a> : <span class="muted">—</span>} <span class={`badge ${p.state}`}>{p.state}</span>
                        </div>
                      ))}
                    </td>
                    <td>{viaWord(w, f.via)}</td>
                    <td>
                      <SystemLink lang={ctx.lang} links={props.links} record={f.ref} />
                    </td>
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

const valueText = (v: unknown) => (v === null || v === undefined ? "—" : typeof v === "string" ? `«${v}»` : JSON.stringify(v));

/** What one line of the history says, in words. */
function ItemText(props: { ctx: WebContext; item: TimelineItem }) {
  const { ctx, item } = props;
  const w = t(ctx.lang);
  switch (item.kind) {
    case "exchange":
      return (
        <>
          <span class="detail">{shown(item.detail)}</span>
          {item.target && <div class="muted">{fill(w.targetRecord, { record: refName(ctx.lang, item.target) })}</div>}
          {item.calls.length > 0 && (
            <details>
              <summary>{fill(w.calls, { count: item.calls.length })}</summary>
              <ul class="calls">
                {item.calls.map((c) => (
                  <li data-testid="timeline-call" data-status={String(c.status ?? "")}>
                    <code>{c.call}</code> — {c.status ?? "∅"}, {formatDuration(ctx.lang, c.durationMs)} ({Math.round(c.durationMs)} ms), #{c.attempt}
                    {c.error && <span class="muted"> · {shown(c.error, 500)}</span>}
                  </li>
                ))}
              </ul>
            </details>
          )}
        </>
      );
    case "conflict":
      return <>{fill(w.conflictText, { field: item.field, crm: valueText(item.crmValue), onec: valueText(item.onecValue), winner: SYSTEM_NAMES[item.winner as System]?.[ctx.lang] ?? item.winner, rule: item.rule })}</>;
    case "decision":
      return (
        <>
          <a href="/decisions">{fill(w.decision, { id: item.decisionId })}</a>:{" "}
          {item.result === "decision-opened" && fill(w.decisionOpened, { summary: shown(item.summary, 300), reason: shown(item.reason, 500) })}
          {item.result === "decision-decided" && fill(w.decisionDecided, { by: item.decidedBy ?? "?", action: item.action ?? "?", chosen: item.chosenId ? ` ${item.chosenId}` : "" })}
          {item.result === "decision-superseded" && w.decisionSuperseded}
          {item.result === "decision-opened" && item.candidates.length > 0 && <div class="muted">{fill(w.candidates, { list: item.candidates.map((c) => `${shown(c.label, 200)} (${c.id})`).join("; ") })}</div>}
        </>
      );
    case "pair": {
      const other = item.other ? refName(ctx.lang, item.other) : "—";
      if (item.result === "pair-claimed") return <>{fill(w.pairClaimed, { by: item.createdBy, other })}</>;
      if (item.result === "pair-confirmed") return <>{fill(w.pairConfirmed, { other })}</>;
      return <>{fill(w.pairDeleted, { by: item.deletedBy ? (SYSTEM_NAMES[item.deletedBy as System]?.[ctx.lang] ?? item.deletedBy) : "?" })}</>;
    }
    case "dead-letter":
      return (
        <>
          <a href={`/dead-letters/${item.letterId}`}>{fill(w.deadLetter, { id: item.letterId })}</a>:{" "}
          {fill(w.letterText, { code: item.errorCode, message: shown(item.errorMessage, 1000), status: item.status, attempts: item.attempts, first: formatTime(ctx.lang, item.firstFailedAt, ctx.timeZone) })}
        </>
      );
  }
}

const resultOf = (item: TimelineItem) => (item.kind === "exchange" || item.kind === "pair" || item.kind === "decision" ? item.result : item.kind);
const stageOf = (item: TimelineItem) => (item.kind === "exchange" || item.kind === "dead-letter" ? item.stage : item.kind === "pair" ? "mapping" : item.kind === "decision" ? "decision" : "resolver");

function TimelinePage(props: { ctx: WebContext; links: RecordLinks; timeline: Timeline; order: "newest" | "oldest" }) {
  const { ctx, timeline: tl, links } = props;
  const w = t(ctx.lang);
  const here = recordHref(tl.record.system, tl.record.entity, tl.record.id);
  const known = [tl.number && `${w.number} ${tl.number}`, tl.title, tl.inn && `${w.inn} ${tl.inn}`].filter(Boolean).join(" · ");
  return (
    <Page ctx={ctx} title={refName(ctx.lang, tl.record)} active="records">
      <SearchForm lang={ctx.lang} q="" />
      <div class="side-by-side" data-testid="timeline-records">
        {tl.records.map((r) => {
          const pair = tl.pairs.find((p) => [p.source, p.target].some((s) => s && refKey(s) === refKey(r)) && r !== tl.record);
          const own = refKey(r) === refKey(tl.record);
          return (
            <div class="card" data-testid="timeline-record" data-system={r.system} data-entity={r.entity} data-id={r.id}>
              <h3>{own ? refName(ctx.lang, r) : <a href={recordHref(r.system, r.entity, r.id)}>{refName(ctx.lang, r)}</a>}</h3>
              {own && known && <p>{known}</p>}
              {!own && pair && (
                <p class="muted">
                  {w.state}: <span class={`badge ${pair.state}`}>{pair.state}</span> · {w.createdBy}: {pair.createdBy} · {w.since} <Time ctx={ctx} at={pair.createdAt} />
                  {pair.confirmedAt && (
                    <>
                      {" "}
                      · {w.confirmed} <Time ctx={ctx} at={pair.confirmedAt} />
                    </>
                  )}
                </p>
              )}
              <SystemLink lang={ctx.lang} links={links} record={r} />
            </div>
          );
        })}
      </div>
      <h2>{w.timeline}</h2>
      <p class="actions">
        {props.order === "newest" ? <a href={`${here}?order=oldest`}>{w.oldestFirst}</a> : <a href={here}>{w.newestFirst}</a>}
      </p>
      {tl.truncated && <p class="muted">{fill(w.truncated, { limit: TIMELINE_LIMIT })}</p>}
      {tl.items.length === 0 ? (
        <p class="muted" data-testid="timeline-empty">
          {w.empty}
        </p>
      ) : (
        <div class="table-wrap">
          <table data-testid="timeline" data-order={props.order}>
            <thead>
              <tr>
                <th>{w.time}</th>
                <th>{w.record}</th>
                <th>{w.stage}</th>
                <th>{w.result}</th>
                <th>{w.what}</th>
                <th>{w.attempts}</th>
                <th>{w.trace}</th>
              </tr>
            </thead>
            <tbody>
              {tl.items.map((item) => {
                const result = resultOf(item);
                return (
                  <tr data-testid="timeline-row" data-kind={item.kind} data-result={result} data-system={item.record.system} data-at={item.at.toISOString()}>
                    <td>
                      <Time ctx={ctx} at={item.at} />
                    </td>
                    <td>{refKey(item.record) === refKey(tl.record) ? refName(ctx.lang, item.record) : <a href={recordHref(item.record.system, item.record.entity, item.record.id)}>{refName(ctx.lang, item.record)}</a>}</td>
                    <td>{stageOf(item)}</td>
                    <td>
                      <span class={`badge ${result}`}>{resultWord(w, result)}</span>
                      {item.kind === "dead-letter" && <div class="muted">{item.status}</div>}
                    </td>
                    <td>
                      <ItemText ctx={ctx} item={item} />
                    </td>
                    <td>{item.kind === "exchange" || item.kind === "dead-letter" ? item.attempts : ""}</td>
                    <td>{item.kind === "exchange" || item.kind === "dead-letter" || item.kind === "conflict" ? <TraceLink links={links} traceId={item.traceId} /> : ""}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </Page>
  );
}

const str = (v: unknown) => (typeof v === "string" ? v : "");

function recordOf(req: Request): { ref: Ref } | { problem: string } {
  const system = str(req.params.system);
  const entity = str(req.params.entity);
  const id = str(req.params.id);
  if (system !== "bitrix24" && system !== "onec") return { problem: `unknown system "${system.slice(0, 20)}"` };
  const normalised = system === "onec" ? id.toLowerCase() : id;
  const problem = recordIdProblem(system, entity as Entity, normalised);
  return problem ? { problem } : { ref: { system, entity, id: normalised } };
}

/** GET /records?q= (the search) and GET /records/:system/:entity/:id[?order=oldest] (a record's timeline). */
export const recordsPage: WebPage = (router, data) => {
  router.get("/records", async (req, res) => {
    const ctx = webOf(res);
    const q = str(req.query.q).trim().slice(0, 200);
    const query = parseRecordQuery(q);
    const found = query.kind === "empty" ? null : await findRecords(data.db, query);
    sendPage(res, 200, <SearchPage ctx={ctx} links={data.links} q={q} found={found} />);
  });

  router.get("/records/:system/:entity/:id", async (req, res) => {
    const ctx = webOf(res);
    const parsed = recordOf(req);
    if ("problem" in parsed) return sendPage(res, 404, <ErrorPage ctx={ctx} title={common(ctx.lang).notFound} reason={fill(t(ctx.lang).badRecord, { problem: parsed.problem })} />);
    const order = req.query.order === "oldest" ? "oldest" : "newest";
    const timeline = await recordTimeline(data.db, parsed.ref, order);
    sendPage(res, 200, <TimelinePage ctx={ctx} links={data.links} timeline={timeline} order={order} />);
  });
};

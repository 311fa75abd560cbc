import type { Router } from "express";
import type { Bus, requestCircuits } from "@concord/bus";
import type { Subjects } from "@concord/contracts";
import type { Database } from "@concord/db";
import type { AuditTrail } from "../audit";
import type { Operations } from "../operations";
import type { FlowOperations } from "../flows";
import type { Decisions } from "../decisions";
import type { AlertsReader } from "../alerts";

/** Where people open a record in either system, and a trace (CONSOLE_*_URL; absent: no link). */
export interface RecordLinks {
  /** Bitrix24 portal, e.g. https://example.bitrix24.ru: deals open at /crm/deal/details/<id>/. */
  bitrix24?: string | undefined;
  /** 1C web client base, e.g. https://1c.example.ru/ut11: records open at #e1cib/data/… . */
  onec?: string | undefined;
  /** A trace viewer's URL with `{traceId}`, e.g. http://jaeger:16686/trace/{traceId}. */
  trace?: string | undefined;
}

/** What the pages read and act through: the console's own clients, and PostgreSQL read-only. */
export interface WebData {
  /** Concord's tables (the exchange log, id_mapping, dead letters, decisions): read by the pages. */
  db: Database;
  bus: Bus;
  subjects: Subjects;
  operations: Operations;
  audit: AuditTrail;
  flows: FlowOperations;
  decisions: Decisions;
  /** Each target's circuit, from the writers (`unknown` when one does not answer). */
  circuits: () => ReturnType<typeof requestCircuits>;
  alerts?: AlertsReader | undefined;
  links: RecordLinks;
}

/** A page module: adds its routes to the signed-in router. */
export type WebPage = (router: Router, data: WebData) => void;

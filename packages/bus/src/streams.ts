import { nanos } from "@nats-io/nats-core";
import { DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from "@nats-io/jetstream";
import type { Subjects } from "@concord/contracts";
import { natsErrorCode } from "./nats-errors";

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Stream settings are code. Limits retention (not work-queue): on NATS 2.9 a work-queue
 * stream forgets consumed dedupe ids after a server restart, so a repeated webhook would be
 * stored twice. The duplicate window (10 min) bounds how late a repeat is still recognised:
 * wider than ingress's ±5 min replay window for signed 1C notifications; the mapping claim and
 * find-before-create cover anything later.
 */
export function streamConfigs(subjects: Subjects): Array<Partial<StreamConfig> & { name: string; subjects: string[] }> {
  const base = {
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    duplicate_window: nanos(10 * 60 * 1000),
    num_replicas: 1,
  };
  return [
    { ...base, name: subjects.streams.events, subjects: [subjects.wildcards.events], max_age: nanos(7 * DAY_MS) },
    { ...base, name: subjects.streams.commands, subjects: [subjects.wildcards.commands], max_age: nanos(7 * DAY_MS) },
    { ...base, name: subjects.streams.outcomes, subjects: [subjects.wildcards.outcomes], max_age: nanos(14 * DAY_MS) },
    // Dead letters wait for a person: keep them long, and never drop one to make room.
    {
      ...base,
      name: subjects.streams.dlq,
      subjects: [subjects.wildcards.dlq],
      max_age: nanos(90 * DAY_MS),
      discard: DiscardPolicy.New,
    },
  ];
}

/** Creates the streams, or updates them to the settings in code. Safe to run from every replica. */
export async function ensureStreams(jsm: JetStreamManager, subjects: Subjects): Promise<void> {
  for (const config of streamConfigs(subjects)) {
    try {
      await jsm.streams.info(config.name);
      await jsm.streams.update(config.name, config);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      try {
        await jsm.streams.add(config);
      } catch (addError) {
        // Another replica created it first.
        if (natsErrorCode(addError) !== "JS_STREAM_EXISTS") throw addError;
      }
    }
  }
}

/** Told by JetStream's err_code (10059), never by the message text. */
const isNotFound = (error: unknown) => natsErrorCode(error) === "JS_STREAM_NOT_FOUND";

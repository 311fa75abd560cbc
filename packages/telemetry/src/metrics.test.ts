import { cachedRead, gauges, metrics, renderMetrics } from "./metrics";
import { MAX_CALLS_PER_OUTCOME, collectCalls, recordTargetCall, takeCalls } from "./calls";
import { masker } from "./masking";
import { otlpTracesUrl } from "./tracing";

describe("cachedRead", () => {
  it("shares one read between callers within its time, reads again after it, and does not keep a failure", async () => {
    let clock = 0;
    let reads = 0;
    let fail = false;
    const read = cachedRead(5_000, async () => {
      reads++;
      if (fail) throw new Error("nats away");
      return reads;
    }, () => clock);
    expect(await Promise.all([read(), read(), read()])).toEqual([1, 1, 1]);
    clock = 4_999;
    expect(await read()).toBe(1);
    clock = 5_000;
    fail = true;
    await expect(read()).rejects.toThrow("nats away");
    fail = false;
    expect(await read()).toBe(3);
    expect(reads).toBe(3);
  });
});

describe("metrics exposition", () => {
  it("renders counters with bounded labels and sourced gauges, leaving out a source that fails", async () => {
    metrics.outcomes.inc({ stage: "onec-writer", result: "created", system: "bitrix24", entity: "deal" });
    const removeGood = gauges.consumerPending.add(async () => [{ labels: { stream: "T_COMMANDS", consumer: "onec-writer" }, value: 7 }]);
    const removeBad = gauges.consumerPending.add(async () => {
      throw new Error("consumer info failed");
    });
    const { contentType, body } = await renderMetrics();
    expect(contentType).toContain("text/plain");
    expect(body).toContain('concord_outcomes_total{stage="onec-writer",result="created",system="bitrix24",entity="deal"} 1');
    expect(body).toContain('concord_consumer_pending_messages{stream="T_COMMANDS",consumer="onec-writer"} 7');
    removeGood();
    removeBad();
    expect((await renderMetrics()).body).not.toContain('consumer="onec-writer"} 7');
  });
});

describe("target calls of a delivery", () => {
  it("are collected per scope, masked, taken once, and capped", async () => {
    const secret = "calls-test-secret-4242";
    masker.addSecrets([secret]);
    recordTargetCall({ target: "onec", call: "GET X", status: 200, durationMs: 1, attempt: 1 }); // no scope: not kept
    const [a, b] = await Promise.all([
      collectCalls(async () => {
        recordTargetCall({ target: "bitrix24", call: "crm.deal.get", status: 401, durationMs: 3.6, attempt: 1, error: `https://p.bitrix24.ru/rest/1/${secret}/crm.deal.get.json` });
        await new Promise((r) => setTimeout(r, 5));
        return takeCalls();
      }),
      collectCalls(async () => {
        for (let i = 0; i < MAX_CALLS_PER_OUTCOME + 3; i++) recordTargetCall({ target: "onec", call: "PATCH Document_ЗаказКлиента(…)", status: 200, durationMs: 1, attempt: 1 });
        const first = takeCalls();
        return { first, second: takeCalls() };
      }),
    ]);
    expect(a.calls).toHaveLength(1);
    expect(a.calls[0]).toMatchObject({ target: "bitrix24", call: "crm.deal.get", status: 401, durationMs: 4, attempt: 1 });
    expect(a.calls[0]?.error).not.toContain(secret);
    expect(b.first.calls).toHaveLength(MAX_CALLS_PER_OUTCOME);
    expect(b.first.dropped).toBe(3);
    expect(b.second).toEqual({ calls: [], dropped: 0 });
    expect(takeCalls()).toEqual({ calls: [], dropped: 0 });
  });
});

describe("otlpTracesUrl", () => {
  it("uses the traces endpoint as given, else appends /v1/traces to the base, else none", () => {
    expect(otlpTracesUrl({ endpoint: "http://collector:4318/" })).toBe("http://collector:4318/v1/traces");
    expect(otlpTracesUrl({ endpoint: "http://collector:4318", tracesEndpoint: "http://other:9999/traces" })).toBe("http://other:9999/traces");
    expect(otlpTracesUrl({})).toBeNull();
  });
});

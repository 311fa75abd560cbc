import { JetStreamApiError } from "@nats-io/jetstream";
import { NoRespondersError, RequestError, TimeoutError } from "@nats-io/nats-core";
import { catalogEntry } from "@concord/contracts";
import { isJetStreamNotFound, natsErrorCode } from "./nats-errors";

const api = (err_code: number, description: string) => new JetStreamApiError({ code: 404, err_code, description });

describe("natsErrorCode", () => {
  it("tells JetStream API errors by err_code, whatever their text says", () => {
    expect(natsErrorCode(api(10014, "consumer not found"))).toBe("JS_CONSUMER_NOT_FOUND");
    expect(natsErrorCode(api(10059, "something else entirely"))).toBe("JS_STREAM_NOT_FOUND");
    expect(natsErrorCode(api(10071, "wrong last sequence: 4"))).toBe("JS_WRONG_LAST_SEQUENCE");
    expect(natsErrorCode(api(10999, "not found"))).toBe("JS_API");
    expect(isJetStreamNotFound(api(10999, "not found"))).toBe(false);
    expect(isJetStreamNotFound(api(10014, ""))).toBe(true);
  });

  it("tells client errors by class, and a request error by its cause", () => {
    expect(natsErrorCode(new TimeoutError())).toBe("NATS_TIMEOUT");
    expect(natsErrorCode(new NoRespondersError("x.y"))).toBe("NATS_NO_RESPONDERS");
    expect(natsErrorCode(new RequestError("failed", { cause: new NoRespondersError("x.y") }))).toBe("NATS_NO_RESPONDERS");
    expect(natsErrorCode(new Error("TIMEOUT"))).toBeNull();
  });

  it("maps every code it returns to a pipeline entry of the catalog", () => {
    for (const code of ["JS_CONSUMER_NOT_FOUND", "JS_STREAM_NOT_FOUND", "JS_API", "NATS_TIMEOUT", "NATS_NO_RESPONDERS", "NATS_CONNECTION"]) {
      expect(catalogEntry(code).scope).toBe("pipeline");
    }
  });
});

it("tells a stream name already in use (10058) by its code", () => {
  expect(natsErrorCode(new JetStreamApiError({ code: 400, err_code: 10058, description: "stream name already in use with a different configuration" }))).toBe("JS_STREAM_EXISTS");
});

import { natsConnectionOptions, natsSecurityFromConfig, splitServerCredentials } from "./connection-options";

describe("NATS connection options", () => {
  it("takes credentials out of the server URLs", () => {
    expect(splitServerCredentials("nats://svc:p%40ss-word@10.0.0.1:4222, nats://svc:p%40ss-word@10.0.0.2:4222")).toEqual({
      servers: ["nats://10.0.0.1:4222", "nats://10.0.0.2:4222"],
      user: "svc",
      password: "p@ss-word",
    });
    expect(natsConnectionOptions("nats://s3cret-token@127.0.0.1:4222")).toEqual({ servers: ["nats://127.0.0.1:4222"], token: "s3cret-token" });
  });

  it("reads the NATS_* settings, TLS implied by a CA file", () => {
    expect(natsSecurityFromConfig({ NATS_USER: "ingress", NATS_PASSWORD: "pw", NATS_TLS: false, NATS_TLS_CA_FILE: "/etc/ca.pem" })).toMatchObject({
      user: "ingress",
      password: "pw",
      tls: { caFile: "/etc/ca.pem" },
    });
    expect(natsSecurityFromConfig({ NATS_TLS: false }).tls).toBeNull();
    expect(natsConnectionOptions("127.0.0.1:4222", { user: "a", password: "b", tls: {} })).toEqual({ servers: ["127.0.0.1:4222"], user: "a", pass: "b", tls: {} });
  });
});

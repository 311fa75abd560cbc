import { resolve } from "node:path";
import { AlertsConfigError, alertSecrets, loadAlertsConfig, parseAlertsConfig } from "./alerts-config";

const env = { CONCORD_ALERT_TELEGRAM_TOKEN: "123456:telegram-bot-token-secret", CONCORD_ALERT_SMTP_PASSWORD: "smtp-password-secret", CONCORD_ALERT_WEBHOOK_AUTH: "Bearer hook-secret-value" };

it("the shipped example is valid, and its secrets come from the environment", () => {
  const settings = loadAlertsConfig(resolve(__dirname, "..", "..", "..", "config", "concord.alerts.yaml"), env);
  expect(settings.channels.map((c) => c.type).sort()).toEqual(["email", "telegram", "webhook"]);
  expect(Object.keys(settings.rules).sort()).toEqual(["backlogAge", "circuitOpen", "deadLetter", "decisionWaiting", "errorRate", "flowSilent", "serviceNotReady"]);
  expect(alertSecrets(settings).sort()).toEqual([env.CONCORD_ALERT_WEBHOOK_AUTH, env.CONCORD_ALERT_SMTP_PASSWORD, env.CONCORD_ALERT_TELEGRAM_TOKEN].sort());
});

it("names every problem, and a missing secret by its variable, never a value", () => {
  const text = `
version: 1
rules:
  errorRate: { windowSeconds: 60, threshold: 2 }
  flowSilent: { flows: { orders.nowhere: 60 } }
channels:
  - { name: tg, type: telegram, botTokenEnv: TG_TOKEN, chatId: 1 }
  - { name: tg, type: webhook, url: "ftp://x" }
  - { name: mail, type: email, host: h, from: a@b, to: [c@d], passwordEnv: SMTP_PASSWORD }
`;
  let message = "";
  try {
    parseAlertsConfig(text, "alerts.yaml", {});
  } catch (error) {
    expect(error).toBeInstanceOf(AlertsConfigError);
    message = (error as Error).message;
  }
  expect(message).toMatch(/rules\.errorRate\.threshold/);
  expect(message).toMatch(/rules\.flowSilent\.flows/);
  expect(message).toMatch(/channels\.1\.url/);
  let secretMessage = "";
  try {
    parseAlertsConfig(text.replace("threshold: 2", "threshold: 0.2").replace("orders.nowhere", "products").replace('"ftp://x"', '"http://x"').replace("name: tg, type: webhook", "name: hook, type: webhook"), "alerts.yaml", { SMTP_PASSWORD: "x-secret" });
  } catch (error) {
    secretMessage = (error as Error).message;
  }
  expect(secretMessage).toMatch(/channels\.0 \(tg\)\.botTokenEnv: environment variable TG_TOKEN is not set/);
  expect(secretMessage).toMatch(/channels\.2 \(mail\): passwordEnv needs user/);
  expect(secretMessage).not.toContain("x-secret");
});

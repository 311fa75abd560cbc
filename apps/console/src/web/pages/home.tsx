import type { WebPage } from "../data";
import { webOf } from "../context";
import { common } from "../i18n";
import { Page, sendPage } from "../layout";

/** Home: the state of every flow (placeholder until the flow health lands). */
export const homePage: WebPage = (router) => {
  router.get("/", (_req, res) => {
    const ctx = webOf(res);
    sendPage(res, 200, (
      <Page ctx={ctx} title={common(ctx.lang).home} active="home">
        <p class="muted">…</p>
      </Page>
    ));
  });
};

import { common, LANGS, type Lang } from "../i18n";
import { Head } from "../layout";

/** The sign-in page: the only page anyone may see signed out. */
export function LoginPage(props: { lang: Lang; next: string; error?: string | undefined; notice?: string | undefined; csrf: string }) {
  const t = common(props.lang);
  const other = LANGS.find((l) => l !== props.lang) ?? "en";
  return (
    <html lang={props.lang}>
      <Head title={`${t.signIn} · ${t.product}`} />
      <body class="login">
        <main>
          <h1>{t.product}</h1>
          {props.error && (
            <p class="notice error" role="alert">
              {props.error}
            </p>
          )}
          {props.notice && (
            <p class="notice ok" role="status">
              {props.notice}
            </p>
          )}
          <form method="post" action="/login">
            <input type="hidden" name="_csrf" value={props.csrf} />
            <input type="hidden" name="next" value={props.next} />
            <label>
              {t.user}
              <input name="user" autocomplete="username" required autofocus />
            </label>
            <label>
              {t.password}
              <input name="password" type="password" autocomplete="current-password" required />
            </label>
            <button type="submit">{t.signIn}</button>
          </form>
          <p>
            <a href={`/login?lang=${other}&next=${encodeURIComponent(props.next)}`}>{t.language}</a>
          </p>
        </main>
      </body>
    </html>
  );
}

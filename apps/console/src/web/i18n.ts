import type { Request } from "express";

/** The console speaks Russian and English; a page keeps its own words beside it (see `words`). */
export const LANGS = ["ru", "en"] as const;
export type Lang = (typeof LANGS)[number];

export const LANG_COOKIE = "concord_lang";

const isLang = (value: unknown): value is Lang => typeof value === "string" && (LANGS as readonly string[]).includes(value);

/** `?lang=` (remembered in a cookie by the router), then the cookie, then Accept-Language; English when nothing says. */
export function langOf(req: Request, cookies: Record<string, string | undefined>): Lang {
  const asked = req.query.lang;
  if (isLang(asked)) return asked;
  const saved = cookies[LANG_COOKIE];
  if (isLang(saved)) return saved;
  const header = req.headers["accept-language"];
  if (!header || header.trim() === "*") return "en";
  const accepted = req.acceptsLanguages("ru", "en");
  return isLang(accepted) ? accepted : "en";
}

/**
 * A page's words in both languages, checked to have the same keys:
 * `const t = words({ en: { title: "Home" }, ru: { title: "Главная" } })(lang)`.
 */
export function words<K extends string>(dictionaries: { en: Record<K, string>; ru: Record<K, string> }): (lang: Lang) => Record<K, string> {
  return (lang) => dictionaries[lang];
}

/** A time as people read it, in the console's time zone (CONSOLE_TIME_ZONE). */
export function formatTime(lang: Lang, value: string | number | Date | null | undefined, timeZone: string): string {
  if (value === null || value === undefined) return "—";
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return "—";
  return new Intl.DateTimeFormat(lang === "ru" ? "ru-RU" : "en-GB", { dateStyle: "short", timeStyle: "medium", timeZone }).format(date);
}

/** A duration in words: "42 s", "3 min", "2 h 5 min", "4 d" ("42 с", "3 мин" …). */
export function formatDuration(lang: Lang, ms: number): string {
  const u = lang === "ru" ? { s: "с", m: "мин", h: "ч", d: "д" } : { s: "s", m: "min", h: "h", d: "d" };
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} ${u.s}`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} ${u.m}`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 === 0 ? `${h} ${u.h}` : `${h} ${u.h} ${m % 60} ${u.m}`;
  return `${Math.floor(h / 24)} ${u.d}`;
}

/** Words every page shares: the navigation and the frame. */
export const common = words({
  en: {
    product: "Concord",
    home: "Home",
    records: "Records",
    failures: "Failures",
    deadLetters: "Dead letters",
    decisions: "Decisions",
    flows: "Flows",
    audit: "Audit",
    signOut: "Sign out",
    signIn: "Sign in",
    user: "User",
    password: "Password",
    badCredentials: "Unknown user or wrong password.",
    signedOut: "You are signed out.",
    forbidden: "Your role does not allow this",
    notFound: "Not found",
    failed: "That did not work",
    back: "Back",
    language: "Язык: русский",
    roleViewer: "viewer",
    roleOperator: "operator",
    roleAdmin: "admin",
    csrf: "The form expired: open the page again and repeat.",
  },
  ru: {
    product: "Concord",
    home: "Главная",
    records: "Записи",
    failures: "Сбои",
    deadLetters: "Очередь ошибок",
    decisions: "Решения",
    flows: "Потоки",
    audit: "Журнал действий",
    signOut: "Выйти",
    signIn: "Войти",
    user: "Пользователь",
    password: "Пароль",
    badCredentials: "Неизвестный пользователь или неверный пароль.",
    signedOut: "Вы вышли.",
    forbidden: "Ваша роль этого не позволяет",
    notFound: "Не найдено",
    failed: "Не получилось",
    back: "Назад",
    language: "Language: English",
    roleViewer: "наблюдатель",
    roleOperator: "оператор",
    roleAdmin: "администратор",
    csrf: "Форма устарела: откройте страницу заново и повторите.",
  },
});

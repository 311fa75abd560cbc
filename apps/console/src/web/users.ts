import bcrypt from "bcryptjs";
import { z } from "zod";
import { CONSOLE_PASSWORD_COST, CONSOLE_USER_NAME as NAME, RoleSchema, type Role } from "@concord/contracts";

/** A person who may sign in to the web console, with a role of the one role model. */
export interface ConsoleUser {
  name: string;
  role: Role;
  /** bcrypt hash (`$2a$`/`$2b$`/`$2y$`), never the password. */
  passwordHash: string;
}

const BCRYPT = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

/**
 * `CONSOLE_USERS`: `name:role:bcrypt-hash` entries, comma-separated (a hash has no `:` or `,`),
 * e.g. `anna:operator:$2b$12$…,boris:viewer:$2b$12$…`. Make a hash with `pnpm concord users hash`.
 * Problems name the entry by its position and name, never by its hash.
 */
export const ConsoleUsersSchema = z.string().transform((text, ctx): ConsoleUser[] => {
  const out: ConsoleUser[] = [];
  text
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean)
    .forEach((entry, i) => {
      const [name = "", role = "", passwordHash = "", ...rest] = entry.split(":");
      const where = `entry ${i + 1}${NAME.test(name) ? ` (${name})` : ""}`;
      if (!NAME.test(name)) ctx.addIssue({ code: "custom", message: `${where}: the name must be letters, digits, . _ @ - (max 64), as in name:role:hash` });
      const parsedRole = RoleSchema.safeParse(role);
      if (!parsedRole.success) ctx.addIssue({ code: "custom", message: `${where}: the role must be viewer, operator or admin` });
      if (rest.length > 0 || !BCRYPT.test(passwordHash)) ctx.addIssue({ code: "custom", message: `${where}: the third part must be a bcrypt hash ($2b$12$…), made with \`pnpm concord users hash\`` });
      if (out.some((u) => u.name.toLowerCase() === name.toLowerCase())) ctx.addIssue({ code: "custom", message: `${where}: the name is used twice` });
      if (parsedRole.success) out.push({ name, role: parsedRole.data, passwordHash });
    });
  return out;
});

export const hashPassword = (password: string, cost = CONSOLE_PASSWORD_COST) => bcrypt.hash(password, cost);

// Compared against when the name is unknown, so an unknown name costs as much time as a wrong password.
const UNKNOWN_USER_HASH = bcrypt.hashSync("concord: no such user", 10);

/** The user when the name (case-insensitive) and password match; null otherwise, in about the same time either way. */
export async function verifyUser(users: readonly ConsoleUser[], name: string, password: string): Promise<ConsoleUser | null> {
  const user = users.find((u) => u.name.toLowerCase() === name.trim().toLowerCase());
  const ok = await bcrypt.compare(password, user?.passwordHash ?? UNKNOWN_USER_HASH);
  return user && ok ? user : null;
}

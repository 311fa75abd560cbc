import { z } from "zod";
import { RoleSchema, type Role } from "@concord/contracts";

/** A named API token with its role: the name is what the audit trail records as the actor. */
export interface ApiToken {
  name: string;
  role: Role;
  token: string;
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/i;

/**
 * `CONSOLE_API_TOKENS`: `name:role:token` entries, comma-separated, e.g.
 * `alice:operator:<token>,dashboard:viewer:<token>,ops-lead:admin:<token>`. Problems name the
 * entry by its position and name, never by its token.
 */
export const ApiTokensSchema = z.string().transform((text, ctx): ApiToken[] => {
  const out: ApiToken[] = [];
  const entries = text.split(",").map((e) => e.trim()).filter(Boolean);
  entries.forEach((entry, i) => {
    const [name = "", role = "", ...rest] = entry.split(":");
    const token = rest.join(":");
    const where = `entry ${i + 1}${NAME.test(name) ? ` (${name})` : ""}`;
    if (!NAME.test(name)) ctx.addIssue({ code: "custom", message: `${where}: the name must be letters, digits, . _ - (max 64), as in name:role:token` });
    const parsedRole = RoleSchema.safeParse(role);
    if (!parsedRole.success) ctx.addIssue({ code: "custom", message: `${where}: the role must be viewer, operator or admin` });
    if (token.length < 16) ctx.addIssue({ code: "custom", message: `${where}: the token must be at least 16 characters (e.g. $(openssl rand -hex 24))` });
    if (out.some((t) => t.name === name)) ctx.addIssue({ code: "custom", message: `${where}: the name is used twice` });
    if (out.some((t) => t.token === token)) ctx.addIssue({ code: "custom", message: `${where}: the token is used twice` });
    if (parsedRole.success) out.push({ name, role: parsedRole.data, token });
  });
  return out;
});

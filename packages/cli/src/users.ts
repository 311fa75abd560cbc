import bcrypt from "bcryptjs";
import { type Command, InvalidArgumentError, Option } from "commander";
import { CONSOLE_PASSWORD_COST, CONSOLE_USER_NAME, RoleSchema } from "@concord/contracts";

const MIN_LENGTH = 12;

/** One CONSOLE_USERS entry (`name:role:hash`), or the hash alone; the password is checked first. */
export async function consoleUserEntry(password: string, user?: { name: string; role: string }, cost = CONSOLE_PASSWORD_COST): Promise<string> {
  if (password.length < MIN_LENGTH) throw new Error(`the password is too short: use at least ${MIN_LENGTH} characters`);
  if (password.length > 72) throw new Error("the password is too long for bcrypt: use at most 72 characters");
  const hash = await bcrypt.hash(password, cost);
  return user ? `${user.name}:${user.role}:${hash}` : hash;
}

/** `concord users hash`: makes a web console user's entry for CONSOLE_USERS; the password comes from stdin, never an argument. */
export function addUserCommands(program: Command, readPassword: () => Promise<string>, out: (text: string) => void): void {
  const users = program.command("users").description("web console users (CONSOLE_USERS)");
  users
    .command("hash")
    .description("read a password from stdin and print its CONSOLE_USERS entry (name:role:bcrypt-hash), or the hash alone without --name")
    .option("--name <name>", "the user's name", (value) => {
      if (!CONSOLE_USER_NAME.test(value)) throw new InvalidArgumentError("letters, digits, . _ @ - (max 64)");
      return value;
    })
    .addOption(new Option("--role <role>", "viewer, operator or admin").choices(RoleSchema.options).default("viewer"))
    .action(async (options: { name?: string; role: string }) => {
      const password = await readPassword();
      out(await consoleUserEntry(password, options.name ? { name: options.name, role: options.role } : undefined));
    });
}

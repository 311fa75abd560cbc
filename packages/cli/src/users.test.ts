import bcrypt from "bcryptjs";
import { buildProgram } from "./program";
import { consoleUserEntry } from "./users";

async function run(args: string[], password: string): Promise<string[]> {
  const lines: string[] = [];
  const program = buildProgram({ env: {}, out: (text) => lines.push(text), confirm: () => Promise.resolve(false), readPassword: () => Promise.resolve(password) });
  // Errors thrown, not exits (commander's setting is per command).
  const throwing = (command: typeof program): void => {
    command.exitOverride().configureOutput({ writeErr: () => undefined });
    command.commands.forEach(throwing);
  };
  throwing(program);
  await program.parseAsync(["node", "concord", ...args]);
  return lines;
}

describe("concord users hash", () => {
  it("prints a CONSOLE_USERS entry whose hash checks the password, never the password itself", async () => {
    const [line = ""] = await run(["users", "hash", "--name", "anna", "--role", "operator"], "correct horse battery");
    const [name, role, hash = ""] = line.split(":");
    expect([name, role]).toEqual(["anna", "operator"]);
    expect(line).not.toContain("correct horse");
    expect(await bcrypt.compare("correct horse battery", hash)).toBe(true);
    expect(await bcrypt.compare("wrong horse battery", hash)).toBe(false);
    expect(bcrypt.getRounds(hash)).toBe(12);
  });

  it("refuses a short password and an unknown role", async () => {
    await expect(consoleUserEntry("short", undefined, 4)).rejects.toThrow("at least 12 characters");
    await expect(run(["users", "hash", "--name", "anna", "--role", "root"], "long enough password")).rejects.toThrow(/Allowed choices are viewer, operator, admin/);
  });
});

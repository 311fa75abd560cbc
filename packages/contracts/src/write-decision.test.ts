import fc from "fast-check";
import { compareSourceVersions, type SourceVersion } from "./commands";
import { decideWrite, type PairWriteState } from "./write-decision";

interface Command {
  sourceVersion: SourceVersion;
  contentHash: string;
}

const at = (s: number) => new Date(Date.UTC(2026, 10, 23, 12, 0, s)).toISOString();

/** A source's history: states in time order (same-second states differ by read time), each with some content. */
const history = fc
  .array(fc.record({ gap: fc.integer({ min: 0, max: 2 }), content: fc.constantFrom("A", "B", "C") }), { minLength: 1, maxLength: 12 })
  .map((states) => {
    let second = 0;
    return states.map(({ gap, content }, i): Command => {
      second += gap;
      return { sourceVersion: { modifiedAt: at(second), fetchedAt: at(100 + i) }, contentHash: content };
    });
  });

/** The commands of a history as delivered: shuffled, some duplicated, some lost, the newest always among them. */
const deliveries = history.chain((commands) =>
  fc
    .tuple(fc.shuffledSubarray(commands.slice(0, -1)), fc.array(fc.nat({ max: commands.length - 1 }), { maxLength: 6 }), fc.nat())
    .map(([subset, duplicates, at]) => {
      const delivered = [...subset, ...duplicates.map((i) => commands[i]!)];
      delivered.splice(at % (delivered.length + 1), 0, commands[commands.length - 1]!);
      return { commands, delivered };
    }),
);

/** Runs deliveries through the rule against one target, as a writer under the pair's lease does. */
function replay(delivered: Command[], start: PairWriteState = { deleted: false, lastVersion: null, lastHash: null }) {
  let state = start;
  let content: string | null = null;
  const writes: Command[] = [];
  for (const command of delivered) {
    const decision = decideWrite(state, command);
    // An echo records its version, as a write does (the writers' compare-and-set of the state).
    if (!decision.write && decision.result === "echo") state = { ...state, lastVersion: command.sourceVersion };
    if (!decision.write) continue;
    content = command.contentHash;
    writes.push(command);
    state = { ...state, lastVersion: command.sourceVersion, lastHash: command.contentHash };
  }
  return { content, writes };
}

it("ends holding the newest state's content, whatever the delivery order, duplicates or losses", () => {
  fc.assert(
    fc.property(deliveries, ({ commands, delivered }) => {
      expect(replay(delivered).content).toBe(commands[commands.length - 1]!.contentHash);
    }),
  );
});

it("never writes an older state after a newer one, and never writes the same content twice in a row", () => {
  fc.assert(
    fc.property(deliveries, ({ delivered }) => {
      const { writes } = replay(delivered);
      for (let i = 1; i < writes.length; i++) {
        expect(compareSourceVersions(writes[i]!.sourceVersion, writes[i - 1]!.sourceVersion)).toBeGreaterThanOrEqual(0);
        expect(writes[i]!.contentHash).not.toBe(writes[i - 1]!.contentHash);
      }
    }),
  );
});

it("writes at most once per distinct state, so redelivery cannot loop", () => {
  fc.assert(
    fc.property(deliveries, ({ commands, delivered }) => {
      expect(replay(delivered).writes.length).toBeLessThanOrEqual(commands.length);
      expect(replay([...delivered, ...delivered]).writes).toEqual(replay(delivered).writes);
    }),
  );
});

it("never writes to a deleted pair", () => {
  fc.assert(
    fc.property(deliveries, ({ delivered }) => {
      expect(replay(delivered, { deleted: true, lastVersion: null, lastHash: null }).writes).toEqual([]);
    }),
  );
});

it("orders same-second states by read time", () => {
  const first = { sourceVersion: { modifiedAt: at(5), fetchedAt: at(10) }, contentHash: "A" };
  const second = { sourceVersion: { modifiedAt: at(5), fetchedAt: at(11) }, contentHash: "B" };
  expect(decideWrite({ deleted: false, lastVersion: second.sourceVersion, lastHash: "B" }, first)).toMatchObject({ write: false, result: "stale" });
  expect(decideWrite({ deleted: false, lastVersion: first.sourceVersion, lastHash: "A" }, second)).toEqual({ write: true });
});

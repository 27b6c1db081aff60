import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ProposeContext } from "../../action/agents/agent.ts";
import { createSearchAgent, searchHistory } from "../../action/agents/search-agent.ts";
import { findParameters, formatLike, planMove } from "../../action/agents/search-plan.ts";
import type { ResultEntry } from "../../action/ledger/types.ts";
import { row } from "../helpers/strategy-rows.ts";

const source = [
  "const LEARNING_RATE = 0.04; // step size",
  "let hidden = 16",
  "const SEED = 7;",
  "const mixed = 3 * x;",
  "  batch_size: 64,",
  "lr_decay = 1e-3  # python",
  "const zero = 0;",
].join("\n");

describe("search plan", () => {
  it("finds lone numeric literals, zeros included, and skips expressions and seeds", () => {
    const params = findParameters([{ path: "train.js", text: source }], ["seed"]);
    expect(params.map((p) => [p.name, p.value, p.line, p.integer])).toEqual([
      ["LEARNING_RATE", 0.04, 1, false],
      ["hidden", 16, 2, true],
      ["batch_size", 64, 5, true],
      ["lr_decay", 0.001, 6, false],
      ["zero", 0, 7, true],
    ]);
    expect(source.slice(params[0]!.offset, params[0]!.offset + 4)).toBe("0.04");
  });

  it("leaves a function's own state alone: indented let/var, and = inside a Python def", () => {
    const js = [
      "const LEARNING_RATE = 0.02;",
      "function train() {",
      "  let b2 = 0;",
      "  var steps = 10;",
      "  const EPS = 1e-8;",
      "  const opts = {",
      "    decay: 0.9,",
      "  };",
      "}",
    ].join("\n");
    const py = [
      "DEPTH = 8",
      "class Config:",
      "    lr = 0.01",
      "    def scaled(self):",
      "        total = 0",
      "",
      "# a comment at the left edge does not end the def",
      "        extra = {",
      '            "warmup": 0.1,',
      "        }",
      "        return total",
      "    beta = 0.9",
      "def main():",
      "    steps = 100",
      "WARMUP = 0.0",
    ].join("\n");
    const names = (path: string, text: string) =>
      findParameters([{ path, text }], []).map((p) => p.name);
    expect(names("train.js", js)).toEqual(["LEARNING_RATE", "EPS", "decay"]);
    expect(names("train.py", py)).toEqual(["DEPTH", "lr", "warmup", "beta", "WARMUP"]);
  });

  it("is deterministic under a seed and different across seeds", () => {
    const params = findParameters([{ path: "t.js", text: source }], ["seed"]);
    expect(planMove(params, [], 1)).toEqual(planMove(params, [], 1));
    const firsts = new Set([1, 2, 3, 4, 5, 6].map((s) => JSON.stringify(planMove(params, [], s))));
    expect(firsts.size).toBeGreaterThan(1);
  });

  it("follows a kept move the same way, and never steps back onto the old incumbent", () => {
    const params = findParameters([{ path: "t.js", text: "a = 1.0\nb = 2.0\n" }], []);
    const first = planMove(params, [], 3)!;
    const kept = { ...first, kept: true };
    const moved = findParameters(
      [
        {
          path: "t.js",
          text: `a = ${first.id.includes(":a") ? first.to : 1.0}\nb = ${first.id.includes(":b") ? first.to : 2.0}\n`,
        },
      ],
      [],
    );
    const next = planMove(moved, [kept], 3)!;
    expect(next.id).toBe(first.id);
    expect(next.dir).toBe(first.dir);
    const failed = planMove(moved, [kept, { ...next, kept: false }], 3)!;
    expect(failed.id).not.toBe(first.id); // the other way is the old incumbent: move on
  });

  it("shrinks the step when both directions failed, and stops when all converged", () => {
    const params = findParameters([{ path: "t.js", text: "a = 1.0\n" }], []);
    const history: {
      id: string;
      dir: 1 | -1;
      factor: number;
      from: number;
      to: number;
      kept: boolean;
    }[] = [];
    const factors: number[] = [];
    for (let i = 0; i < 40; i++) {
      const move = planMove(params, history, 1);
      if (!move) break;
      factors.push(move.factor);
      history.push({ ...move, kept: false });
    }
    expect(factors[0]).toBe(2);
    expect(factors[2]).toBeCloseTo(Math.SQRT2);
    expect(planMove(params, history, 1)).toBeNull();
  });

  it("moves a knob at 0 upwards by absolute steps, then stops trying it", () => {
    const decimal = findParameters([{ path: "t.py", text: "WARMUP_RATIO = 0.0\n" }], []);
    const integer = findParameters([{ path: "t.py", text: "WARMUP_STEPS = 0\n" }], []);
    const ladder = (params: typeof decimal) => {
      const history: (NonNullable<ReturnType<typeof planMove>> & { kept: boolean })[] = [];
      for (let move = planMove(params, [], 1); move; move = planMove(params, history, 1))
        history.push({ ...move, kept: false });
      return history.map((m) => m.to);
    };
    expect(ladder(decimal)).toEqual([0.1, 0.01, 1]);
    expect(ladder(integer)).toEqual([1, 10, 100]);
    expect(formatLike("0.0", 0.1)).toBe("0.1");
  });

  it("writes numbers in the literal's own style", () => {
    expect(formatLike("64", 128.4)).toBe("128");
    expect(formatLike("1e-3", 0.002)).toBe("2e-3");
    expect(formatLike("1.0", 2)).toBe("2.0");
    expect(formatLike("0.04", 0.08)).toBe("0.08");
  });

  it("starts afresh on a branch point, at full steps, each knob first the way that did not fail on the incumbent", () => {
    const params = findParameters([{ path: "t.js", text: "a = 1.0\nb = 2.0\nc = 4.0\n" }], []);
    const [a, b, c] = params.map((p) => p.id) as [string, string, string];
    const tried = (
      iteration: number,
      id: string,
      dir: 1 | -1,
      factor: number,
      extra: Partial<ResultEntry> = {},
    ) =>
      row(iteration, "discard", 1, -1, {
        agent_meta: { kind: "search", id, dir, factor, from: 1, to: 2 },
        ...extra,
      });
    // On the incumbent a failed both ways at 2 (shrunk to sqrt 2), then b up (the near-miss the
    // point is) and c down failed; a proposal on #3 tried a up there and failed.
    const rows = [
      tried(1, a, 1, 2),
      tried(2, a, -1, 2),
      tried(3, b, 1, 2),
      tried(4, c, -1, 2),
      tried(5, a, 1, 2, { proposed_on: 3 }),
    ];
    const onIncumbent = searchHistory(rows, undefined);
    expect(onIncumbent.history.map((m) => m.id)).toEqual([a, a, b, c]);
    expect(onIncumbent.prefer.size).toBe(0);
    // On the incumbent a is at its shrunk step; every seed's next move says so.
    for (let seed = 1; seed <= 8; seed++) {
      const move = planMove(params, onIncumbent.history, seed, onIncumbent.prefer);
      if (move?.id === a) expect(move.factor).toBeCloseTo(Math.SQRT2);
    }
    const onPoint = searchHistory(rows, 3);
    expect(onPoint.history.map((m) => [m.id, m.kept])).toEqual([
      [b, true],
      [b, false],
      [a, false],
    ]);
    expect(Object.fromEntries(onPoint.prefer)).toEqual({ [a]: 1, [b]: -1, [c]: 1 });
    // On #3, whatever the seed: a full step, c up first (down failed on the incumbent), a down
    // (up failed on #3 itself), b not pushed further up at once.
    const seen = new Set<string>();
    for (let seed = 1; seed <= 8; seed++) {
      const move = planMove(params, onPoint.history, seed, onPoint.prefer)!;
      seen.add(move.id);
      if (move.id !== b) expect(move.factor).toBe(2);
      if (move.id === c) expect(move.dir).toBe(1);
      if (move.id === a) expect(move.dir).toBe(-1);
      if (move.id === b) expect(move.factor).toBeCloseTo(Math.SQRT2);
    }
    expect(seen.has(c)).toBe(true);
    // A keep made on a branch point is the incumbent's lineage from then on.
    const kept = [...rows, tried(6, c, 1, 2, { proposed_on: 3, status: "keep" })];
    expect(searchHistory(kept, undefined).history.map((m) => [m.id, m.kept])).toEqual([
      [a, false],
      [a, false],
      [b, false],
      [c, false],
      [c, true],
    ]);
  });

  it("counts a move in flight as tried only on the code it was proposed on", async () => {
    const text = "a = 1.0\nb = 2.0\nc = 4.0\n";
    const [a, b] = findParameters([{ path: "t.js", text }], []).map((p) => p.id) as [
      string,
      string,
    ];
    const history = [
      row(1, "discard", 1, -1, {
        agent_meta: { kind: "search", id: a, dir: 1, factor: 2, from: 1, to: 2 },
      }),
      row(2, "discard", 1, -1, {
        agent_meta: { kind: "search", id: b, dir: 1, factor: 2, from: 2, to: 4 },
      }),
    ];
    const propose = async (pending: ProposeContext["pending"]) => {
      const worktree = mkdtempSync(join(tmpdir(), "search-"));
      writeFileSync(join(worktree, "t.js"), text);
      const context = {
        worktree,
        history,
        pending,
        targetFiles: ["t.js"],
        branch: { incumbent: 0, point: { on: 2, kind: "near-miss", description: "", why: "" } },
      } as unknown as ProposeContext;
      const proposal = await createSearchAgent({ seed: 1, exclude: [] }).propose(context);
      expect(proposal.ok && !proposal.exhausted).toBe(true);
      return {
        meta: proposal.ok && !proposal.exhausted ? proposal.meta : undefined,
        text: readFileSync(join(worktree, "t.js"), "utf8"),
      };
    };
    const alone = await propose([]);
    const move = { kind: "search", ...(alone.meta as object) };
    // The same move in flight on the incumbent (and on another point) does not stop it on #2.
    const elsewhere = await propose([
      { description: "on the incumbent", meta: move },
      { description: "on #1", meta: move, on: 1 },
    ]);
    expect(elsewhere).toEqual(alone);
    // In flight on #2 itself, the next proposal there goes another way.
    const here = await propose([{ description: "on #2", meta: move, on: 2 }]);
    expect(here.meta).not.toEqual(alone.meta);
  });
});

import { describe, expect, it } from "vitest";
import { nightTags } from "../../action/github/action-main.ts";
import {
  frozenDrift,
  judgeCommit,
  judgeLedger,
  judgeRefs,
  parseWalk,
  refusalMessage,
  scopeOf,
  type WalkedCommit,
} from "../../action/github/check-pushed.ts";
import type { ResultEntry } from "../../action/ledger/types.ts";

const scope = scopeOf("night", { target: ["train.py", "src/**/*.py"], frozen: ["eval.py"] });
const sha = (c: string) => c.repeat(40);
const commit = (changes: [string, string?][], parents = [sha("0")]): WalkedCommit => ({
  sha: sha("c"),
  parents,
  changes: changes.map(([path, mode]) => ({ path, mode: mode ?? "100644", status: "M" })),
});

describe("judgeCommit: what a commit may change over its parent", () => {
  it("a record commit touches only .autoexp/<tag>/; a candidate only target paths", () => {
    expect(judgeCommit(commit([[".autoexp/night/log.jsonl"]]), scope)).toEqual({
      kind: "record",
      refusals: [],
    });
    expect(judgeCommit(commit([["train.py"], ["src/a/b.py"]]), scope)).toEqual({
      kind: "candidate",
      refusals: [],
    });
  });

  it("names every path it refuses: .github/, frozen, outside target, the record beside code, another tag's record, links", () => {
    const verdict = judgeCommit(
      commit([
        [".github/workflows/pwn.yml"],
        ["eval.py"],
        ["program.md"],
        [".autoexp/night/log.jsonl"],
        [".autoexp/other/log.jsonl"],
        ["train.py", "120000"],
        ["src/sub.py", "160000"],
      ]),
      scope,
    );
    expect(verdict.kind).toBe("candidate");
    expect(verdict.refusals.map((r) => [r.path, r.why.split(":")[0]])).toEqual([
      [".github/workflows/pwn.yml", "is under .github/"],
      ["eval.py", "is frozen"],
      ["program.md", "is outside target"],
      [".autoexp/night/log.jsonl", "is the record, changed in a commit that also changes code"],
      [".autoexp/other/log.jsonl", "is another tag's record"],
      ["train.py", "is a link or a submodule"],
      ["src/sub.py", "is a link or a submodule"],
    ]);
    expect(verdict.refusals.every((r) => r.commit === sha("c"))).toBe(true);
  });

  it(".github/ is refused even where target would allow it, and beside a record", () => {
    const wide = scopeOf("night", { target: ["**"], frozen: [] });
    expect(judgeCommit(commit([[".github/workflows/x.yml"]]), wide).refusals).toHaveLength(1);
    expect(
      judgeCommit(commit([[".autoexp/night/log.jsonl"], [".github/x"]]), scope).refusals.map(
        (r) => r.path,
      ),
    ).toEqual([".autoexp/night/log.jsonl", ".github/x"]);
  });

  it("refuses merges and root commits", () => {
    expect(judgeCommit(commit([["train.py"]], [sha("1"), sha("2")]), scope).refusals[0]!.why).toBe(
      "is a merge of 2 commits: autoexp never makes one",
    );
    expect(judgeCommit(commit([["train.py"]], []), scope).refusals[0]!.why).toMatch(/root commit/);
  });
});

describe("frozenDrift", () => {
  it("frozen files must be the same blob and mode as the base; added or removed ones count", () => {
    const base = [
      { path: "eval.py", mode: "100644", sha: sha("a") },
      { path: "train.py", mode: "100644", sha: sha("b") },
    ];
    expect(frozenDrift(base, base, sha("d"), scope)).toEqual([]);
    const edited = [{ ...base[0]!, sha: sha("e") }, base[1]!];
    expect(frozenDrift(base, edited, sha("d"), scope)).toEqual([
      {
        commit: sha("d"),
        path: "eval.py",
        why: "is frozen and differs from the base: it must stay byte-identical",
      },
    ]);
    expect(frozenDrift(base, [{ ...base[0]!, mode: "100755" }], sha("d"), scope)).toHaveLength(1);
    expect(frozenDrift(base, [base[1]!], sha("d"), scope)).toHaveLength(1);
  });
});

function row(iteration: number, status: ResultEntry["status"], commit: string | null) {
  return `${JSON.stringify({
    type: "result",
    iteration,
    status,
    commit: commit?.slice(0, 7) ?? "",
    commit_full: commit,
    diff: commit && iteration > 0 ? `refs/autoexp/night/${iteration}` : null,
  })}\n`;
}

describe("judgeLedger: the new kept rows are exactly the candidates the branch gained", () => {
  const config = `${JSON.stringify({ type: "config", version: 1, tag: "night" })}\n`;
  const before = config + row(0, "baseline", sha("b")) + row(1, "keep", sha("1"));
  const ledger = (after: string, candidates: string[], prior: string | null = before) =>
    judgeLedger({
      tag: "night",
      head: sha("h"),
      before: prior,
      after,
      candidates,
      base: sha("b"),
    });

  it("accepts new keeps naming the new candidates in order, and discards beside them", () => {
    const after = before + row(2, "discard", sha("2")) + row(3, "keep", sha("3"));
    expect(ledger(after, [sha("3")])).toEqual([]);
    expect(ledger(after + row(4, "keep", sha("4")), [sha("3"), sha("4")])).toEqual([]);
  });

  it("refuses a forged keep (no code), a candidate no keep names, and the wrong order", () => {
    const forged = ledger(before + row(2, "keep", sha("2")), []);
    expect(forged).toEqual([
      {
        commit: sha("h"),
        path: ".autoexp/night/log.jsonl",
        why: `row #2 (keep) names ${sha("2").slice(0, 7)}, which is not a commit the branch gained: a keep without its code`,
      },
    ]);
    expect(ledger(before, [sha("3")])).toEqual([
      {
        commit: sha("3"),
        path: ".autoexp/night/log.jsonl",
        why: "is a candidate on the branch that no kept row of the ledger names",
      },
    ]);
    const swapped = before + row(2, "keep", sha("2")) + row(3, "keep", sha("3"));
    expect(ledger(swapped, [sha("3"), sha("2")])[0]!.why).toMatch(/another order/);
    expect(
      ledger(before + row(2, "keep", sha("2")) + row(3, "keep", sha("2")), [sha("2")])[0]!.why,
    ).toMatch(/a second time/);
  });

  it("the ledger only grows: a rewritten published row is refused", () => {
    const rewritten = before.replace('"keep"', '"discard"') + row(2, "keep", sha("2"));
    expect(ledger(rewritten, [sha("2")])[0]!.why).toMatch(
      /already published: the ledger only grows/,
    );
  });

  it("a new tag starts with its baseline on the base; a second baseline is refused", () => {
    const fresh = config + row(0, "baseline", sha("b")) + row(1, "keep", sha("1"));
    expect(ledger(fresh, [sha("1")], null)).toEqual([]);
    const elsewhere = config + row(0, "baseline", sha("x"));
    expect(ledger(elsewhere, [], null)[0]!.why).toMatch(
      /does not start with the baseline on the base/,
    );
    expect(ledger(before + row(2, "baseline", sha("b")), [])[0]!.why).toMatch(/second baseline/);
  });

  it("a ledger that does not parse is refused", () => {
    expect(ledger(`${before}{not json\n`, [])[0]!.why).toMatch(/does not parse/);
  });
});

describe("judgeRefs", () => {
  const rows = [
    { iteration: 1, diff: "refs/autoexp/night/1", commit_full: sha("1") },
    { iteration: 2, diff: "refs/autoexp/night/2", commit_full: sha("2") },
  ] as ResultEntry[];
  it("each ref is refs/autoexp/<tag>/<n> of a row, at that row's commit", () => {
    expect(judgeRefs("night", { "refs/autoexp/night/1": sha("1") }, rows)).toEqual([]);
    expect(judgeRefs("night", { "refs/autoexp/night/2": sha("9") }, rows)[0]!.why).toMatch(
      /not the commit row #2 records/,
    );
    expect(judgeRefs("night", { "refs/autoexp/night/7": sha("7") }, rows)[0]!.why).toBe(
      "is a ref no row of the ledger names",
    );
    expect(judgeRefs("night", { "refs/autoexp/night/x/1": sha("1") }, rows)).toHaveLength(1);
  });
});

describe("parseWalk", () => {
  it("reads git log --raw -z: commits, parents, paths with spaces, new modes", () => {
    const out =
      `\x01${sha("a")} ${sha("0")}\0\n:100644 100644 ${sha("1")} ${sha("2")} M\0train.py\0:000000 120000 ${sha("0")} ${sha("3")} A\0dir with space/l\0` +
      `\x01${sha("b")} ${sha("a")} ${sha("9")}\0\n`;
    expect(parseWalk(out)).toEqual([
      {
        sha: sha("a"),
        parents: [sha("0")],
        changes: [
          { path: "train.py", mode: "100644", status: "M" },
          { path: "dir with space/l", mode: "120000", status: "A" },
        ],
      },
      { sha: sha("b"), parents: [sha("a"), sha("9")], changes: [] },
    ]);
  });
});

describe("refusalMessage", () => {
  it("names each commit (short) and path, says nothing was pushed and what to do; long lists are cut", () => {
    const refusals = Array.from({ length: 14 }, (_, i) => ({
      commit: sha(String(i % 10)),
      path: `f${i}`,
      why: "is outside target",
    }));
    const text = refusalMessage("autoexp/night", refusals);
    expect(text.split("\n")[0]).toBe(
      "autoexp/night holds what autoexp does not make, so nothing was pushed:",
    );
    expect(text).toContain("  0000000: f0 is outside target");
    expect(text).toContain("  ... and 2 more");
    expect(text).toMatch(/inspect that runner/);
  });
});

describe("nightTags: the tag a publish job without a tag input accepts", () => {
  it("the night's tag when the experiment job may have started: one date, or two across a turn", () => {
    expect(nightTags("proj", new Date("2025-03-02T04:00:00Z"))).toEqual(["proj-20250301"]);
    expect(nightTags("proj", new Date("2025-03-02T14:00:00Z"))).toEqual([
      "proj-20250302",
      "proj-20250301",
    ]);
  });
});

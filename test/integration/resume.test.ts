import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseLog } from "../../action/ledger/log-jsonl.ts";
import { parseResultsTsv } from "../../action/ledger/results-tsv.ts";
import { KEPT, type ResultEntry } from "../../action/ledger/types.ts";
import { exampleRepo, git, read, runCli, writeFiles } from "../helpers/repo.ts";

/** The invariants DESIGN.md promises after any crash and resume. */
function checkInvariants(repo: string, tag: string): ResultEntry[] {
  const text = git(repo, "show", `autoexp/${tag}:.autoexp/${tag}/log.jsonl`);
  const log = parseLog(text);
  expect(log.torn).toBe(false);
  const rows = log.results;
  expect(rows.map((r) => r.iteration)).toEqual(rows.map((_, i) => i)); // none lost, none twice
  const tsv = parseResultsTsv(git(repo, "show", `autoexp/${tag}:.autoexp/${tag}/results.tsv`));
  expect(tsv.rows.map((r) => r.status)).toEqual(rows.map((r) => r.status));
  const lastKept = rows.findLast((r) => KEPT.has(r.status))!;
  expect(git(repo, "show", `autoexp/${tag}:train.js`)).toBe(
    git(repo, "show", `${lastKept.commit_full}:train.js`),
  );
  for (const r of rows.filter((x) => x.diff))
    expect(git(repo, "rev-parse", r.diff!).trim()).toBe(r.commit_full);
  // The journal autoexp recovers from holds exactly what the branch records.
  const state = join(
    git(repo, "rev-parse", "--path-format=absolute", "--git-common-dir").trim(),
    "autoexp",
    tag,
  );
  expect(readFileSync(join(state, "log.jsonl"), "utf8")).toBe(
    git(repo, "show", `autoexp/${tag}:.autoexp/${tag}/log.jsonl`),
  );
  return rows;
}

// Killed before the ledger line is on disk: experiment 2 was in flight and is run again.
// Killed after: experiment 2 is on record and the next run finishes recording it.
const POINTS: [string, number][] = [
  ["after-agent", 1],
  ["after-commit", 1],
  ["during-eval", 1],
  ["torn-ledger", 1],
  ["after-ledger", 2],
  ["after-refs", 2],
];

describe("a batch killed with SIGKILL at each step, then run again", () => {
  it.each(POINTS)(
    "killed %s: nothing recorded is lost or duplicated and the ledger parses",
    (point, recordedBeforeKill) => {
      // The serial scheduler: what is on record at each kill point is known exactly.
      const repo = withConfig(exampleRepo(), "pipeline: false\n");
      const killed = runCli(repo, ["run", "--tag", "k", "--experiments", "3"], {
        AUTOEXP_FAULT: `${point}@2`,
      });
      expect(killed.signal).toBe("SIGKILL");
      const resumed = runCli(repo, ["run", "--tag", "k", "--experiments", "3"]);
      expect(resumed.stderr).toBe("");
      expect(resumed.code).toBe(0);
      const rows = checkInvariants(repo, "k");
      expect(rows).toHaveLength(1 + recordedBeforeKill + 3);
      if (point === "torn-ledger")
        expect(resumed.stdout).toContain("dropped a ledger line cut off by a crash");
      if (recordedBeforeKill === 2 && point === "after-ledger")
        expect(resumed.stdout).toContain(
          "recorded 1 experiment(s) that were logged before a crash",
        );
    },
  );
});

/** The example repository with lines added to its autoexp.yml, committed. */
function withConfig(repo: string, extra: string): string {
  writeFiles(repo, { "autoexp.yml": read(repo, "autoexp.yml") + extra });
  git(repo, "commit", "-qam", "config");
  return repo;
}

// Four workers and proposals made while they evaluate: experiments are in flight at every kill.
const PARALLEL_POINTS = [
  "during-eval@3",
  "after-agent@4",
  "after-commit@5",
  "after-ledger@4",
  "torn-ledger@6",
];

describe("four workers, pipelined, killed with SIGKILL with experiments in flight, then run again", () => {
  it.each(PARALLEL_POINTS)(
    "killed at %s: what was recorded stays, in-flight experiments are redone, nothing twice",
    (fault) => {
      const repo = withConfig(exampleRepo(), "workers: 4\npipeline: true\n");
      const killed = runCli(repo, ["run", "--tag", "p", "--experiments", "8"], {
        AUTOEXP_FAULT: fault,
      });
      expect(killed.signal).toBe("SIGKILL");
      const before = git(repo, "rev-parse", "--verify", "--quiet", "autoexp/p").trim()
        ? parseLog(git(repo, "show", "autoexp/p:.autoexp/p/log.jsonl")).results
        : [];
      const resumed = runCli(repo, ["run", "--tag", "p", "--experiments", "3"]);
      expect(resumed.stderr).toBe("");
      expect(resumed.code).toBe(0);
      const rows = checkInvariants(repo, "p");
      // Rows logged before the kill but not yet on the branch are recovered from the journal.
      const recovered = /recorded (\d+) experiment\(s\) that were logged before a crash/.exec(
        resumed.stdout,
      );
      const onRecord = Math.max(before.length, 1) + Number(recovered?.[1] ?? 0);
      expect(rows).toHaveLength(onRecord + 3);
      expect(rows.slice(0, before.length)).toEqual(before);
      // No process of the killed run is left: no eval or agent still writing.
      expect(resumed.stdout).not.toContain("Error");
    },
    // Four evals at once on a 2-core CI runner beside another test file: 46-64 s there (7-9 s alone).
    240_000,
  );
});

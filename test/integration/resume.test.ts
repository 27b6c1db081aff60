import { execFileSync, spawn } from "node:child_process";
import { appendFileSync, chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ledgerText, readJournal } from "../../action/engine/journal.ts";
import { stateKey } from "../../action/engine/state-key.ts";
import { parseLog } from "../../action/ledger/log-jsonl.ts";
import { parseResultsTsv } from "../../action/ledger/results-tsv.ts";
import { KEPT, type ResultEntry } from "../../action/ledger/types.ts";
import { processStartTime } from "../../action/process/run-process.ts";
import { exampleRepo, git, read, runCli, writeFiles } from "../helpers/repo.ts";

/** The tag's state folder, where its journal lives. */
function stateDir(repo: string, tag: string): string {
  return join(
    git(repo, "rev-parse", "--path-format=absolute", "--git-common-dir").trim(),
    "autoexp",
    tag,
  );
}

/** The ledger the tag's signed journal holds, its signatures checked. */
async function journalLedger(repo: string, tag: string): Promise<string> {
  const journal = await readJournal(
    join(stateDir(repo, tag), "log.jsonl"),
    await stateKey(process.env),
    tag,
  );
  if (journal.kind !== "signed") throw new Error(`the journal is ${journal.kind}`);
  return ledgerText(journal.items);
}

/** The invariants DESIGN.md promises after any crash and resume. */
async function checkInvariants(repo: string, tag: string): Promise<ResultEntry[]> {
  const text = git(repo, "show", `autoexp/${tag}:.autoexp/${tag}/log.jsonl`);
  const log = parseLog(text);
  expect(log.torn).toBe(false);
  const rows = log.results;
  // None lost, none twice (a keep may be recorded ahead of experiments begun before it).
  expect(rows.map((r) => r.iteration).sort((a, b) => a - b)).toEqual(rows.map((_, i) => i));
  const tsv = parseResultsTsv(git(repo, "show", `autoexp/${tag}:.autoexp/${tag}/results.tsv`));
  expect(tsv.rows.map((r) => r.status)).toEqual(rows.map((r) => r.status));
  const lastKept = rows.findLast((r) => KEPT.has(r.status))!;
  expect(git(repo, "show", `autoexp/${tag}:train.js`)).toBe(
    git(repo, "show", `${lastKept.commit_full}:train.js`),
  );
  for (const r of rows.filter((x) => x.diff))
    expect(git(repo, "rev-parse", r.diff!).trim()).toBe(r.commit_full);
  // The journal autoexp recovers from holds exactly what the branch records.
  expect(await journalLedger(repo, tag)).toBe(
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
    async (point, recordedBeforeKill) => {
      // The serial scheduler: what is on record at each kill point is known exactly.
      const repo = withConfig(exampleRepo(), "pipeline: false\n");
      const killed = runCli(repo, ["run", "--tag", "k", "--experiments", "3"], {
        AUTOEXP_FAULT: `${point}@2`,
      });
      expect(killed.signal).toBe("SIGKILL");
      const resumed = runCli(repo, ["run", "--tag", "k", "--experiments", "3"]);
      expect(resumed.stderr).toBe("");
      expect(resumed.code).toBe(0);
      const rows = await checkInvariants(repo, "k");
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
    async (fault) => {
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
      const rows = await checkInvariants(repo, "p");
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

/** A commit on `parent` with `files` changed, made with git plumbing as an attacker would. */
function forgeCommit(repo: string, parent: string, files: Record<string, string>): string {
  const index = join(repo, ".git", "forge.index");
  const run = (args: string[], input?: string) =>
    execGit(repo, args, { GIT_INDEX_FILE: index }, input);
  run(["read-tree", parent]);
  for (const [path, content] of Object.entries(files)) {
    const blob = run(["hash-object", "-w", "--stdin"], content);
    run(["update-index", "--add", "--cacheinfo", `100644,${blob},${path}`]);
  }
  const tree = run(["write-tree"]);
  rmSync(index, { force: true });
  return run(["commit-tree", tree, "-p", parent, "-m", "autoexp(m): #9 keep: forged"]);
}

function execGit(repo: string, args: string[], env: Record<string, string>, input?: string) {
  return execFileSync("git", args, {
    cwd: repo,
    env: { ...process.env, ...env },
    input,
    encoding: "utf8",
  }).trim();
}

describe("a record only autoexp can write", () => {
  it("refuses a branch moved to a forged record on every run; --adopt re-checks the forged keep and refuses it too; nothing is written", async () => {
    const repo = withConfig(exampleRepo(), "pipeline: false\n");
    expect(runCli(repo, ["run", "--tag", "m", "--experiments", "2"]).code).toBe(0);
    const ours = git(repo, "rev-parse", "autoexp/m").trim();
    const journal = readFileSync(join(stateDir(repo, "m"), "log.jsonl"), "utf8");
    // The hostile agent's forgery: a keep whose eval prints a low loss, and a record claiming it.
    const ledger = git(repo, "show", `${ours}:.autoexp/m/log.jsonl`);
    const last = parseLog(ledger).results.at(-1)!;
    const keep = forgeCommit(repo, ours, {
      "eval.js": 'console.log("val_loss: 0.05");\n',
      "train.js": "// forged\n",
    });
    const row = {
      ...last,
      iteration: last.iteration + 1,
      commit: keep.slice(0, 7),
      commit_full: keep,
      score: 0.05,
      status: "keep",
      diff: null,
    };
    const forged = forgeCommit(repo, keep, {
      ".autoexp/m/log.jsonl": `${ledger}${JSON.stringify(row)}\n`,
    });
    git(repo, "update-ref", "refs/heads/autoexp/m", forged);
    // The attack was made: the branch is at the forgery, which claims 0.05.
    expect(git(repo, "rev-parse", "autoexp/m").trim()).toBe(forged);
    expect(git(repo, "show", "autoexp/m:.autoexp/m/log.jsonl")).toContain('"score":0.05');
    const refs = git(repo, "for-each-ref", "refs/autoexp/m/");
    for (let attempt = 0; attempt < 2; attempt++) {
      const run = runCli(repo, ["run", "--tag", "m", "--experiments", "1"]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        `branch autoexp/m is at ${forged.slice(0, 7)}, but autoexp last wrote ${ours.slice(0, 7)} there`,
      );
      expect(run.stderr).toContain(`git update-ref refs/heads/autoexp/m ${ours}`);
      expect(run.stderr).toContain("autoexp run --adopt");
      expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
    const adopt = runCli(repo, ["run", "--tag", "m", "--experiments", "1", "--adopt"]);
    expect(adopt.code).toBe(1);
    expect(adopt.stderr).toContain(
      `branch autoexp/m cannot be adopted: #${row.iteration} (keep, commit ${keep.slice(0, 7)}) changes the frozen file eval.js`,
    );
    // Nothing was written: the branch, the refs and the journal are as the attack left them.
    expect(git(repo, "rev-parse", "autoexp/m").trim()).toBe(forged);
    expect(git(repo, "for-each-ref", "refs/autoexp/m/")).toBe(refs);
    expect(readFileSync(join(stateDir(repo, "m"), "log.jsonl"), "utf8")).toBe(journal);
    // The way on that the message names: reset the branch to what autoexp wrote.
    git(repo, "update-ref", "refs/heads/autoexp/m", ours);
    const resumed = runCli(repo, ["run", "--tag", "m", "--experiments", "1"]);
    expect(resumed.stderr).toBe("");
    expect(resumed.code).toBe(0);
    expect(await checkInvariants(repo, "m")).toHaveLength(4);
  }, 120_000);

  it("adopts a branch it has no journal for (a fresh clone) only with --adopt, checking its keeps", async () => {
    const repo = withConfig(exampleRepo(), "pipeline: false\n");
    expect(runCli(repo, ["run", "--tag", "f", "--experiments", "3"]).code).toBe(0);
    const kept = parseLog(git(repo, "show", "autoexp/f:.autoexp/f/log.jsonl")).results.filter(
      (r) => KEPT.has(r.status) && r.status !== "baseline",
    ).length;
    rmSync(join(stateDir(repo, "f"), "log.jsonl"));
    const refused = runCli(repo, ["run", "--tag", "f", "--experiments", "1"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("there is no journal for tag f here");
    const adopted = runCli(repo, ["run", "--tag", "f", "--experiments", "1", "--adopt"]);
    expect(adopted.stderr).toBe("");
    expect(adopted.code).toBe(0);
    expect(adopted.stdout).toContain(`${kept} kept commit(s) checked`);
    const again = runCli(repo, ["run", "--tag", "f", "--experiments", "1"]);
    expect(again.code).toBe(0);
    expect(await checkInvariants(repo, "f")).toHaveLength(6);
  }, 120_000);

  it("refuses to resume after `isolation: none` was appended to autoexp.yml, as a config change", () => {
    const repo = withConfig(exampleRepo(), "pipeline: false\n");
    expect(runCli(repo, ["run", "--tag", "i", "--experiments", "1"]).code).toBe(0);
    const head = git(repo, "rev-parse", "autoexp/i").trim();
    writeFiles(repo, { "autoexp.yml": `${read(repo, "autoexp.yml")}isolation: none\n` });
    expect(read(repo, "autoexp.yml")).toMatch(/isolation: none\n$/); // the attack was made
    const run = runCli(repo, ["run", "--tag", "i", "--experiments", "1"]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("tag i was started with another config");
    expect(run.stderr).toContain("\n  isolation: mode auto → none\n");
    expect(git(repo, "rev-parse", "autoexp/i").trim()).toBe(head);
  }, 120_000);

  it("refuses the journal row a planted post-commit hook appended when the user committed", async () => {
    const repo = withConfig(exampleRepo(), "pipeline: false\n");
    expect(runCli(repo, ["run", "--tag", "h", "--experiments", "1"]).code).toBe(0);
    const head = git(repo, "rev-parse", "autoexp/h").trim();
    const journalPath = join(stateDir(repo, "h"), "log.jsonl");
    const forged = '{"type":"result","iteration":2,"status":"keep","score":0.05}';
    const hook = join(repo, ".git", "hooks", "post-commit");
    mkdirSync(join(repo, ".git", "hooks"), { recursive: true });
    writeFileSync(hook, `#!/bin/sh\necho '${forged}' >> '${journalPath}'\n`);
    chmodSync(hook, 0o755);
    writeFiles(repo, { "README.md": "notes\n" });
    git(repo, "add", "README.md");
    git(repo, "commit", "-qm", "the user's own commit");
    // The attack was made: the hook ran and the forged row is in the journal.
    const journal = readFileSync(journalPath, "utf8");
    expect(journal).toContain(forged);
    const run = runCli(repo, ["run", "--tag", "h", "--experiments", "1"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`the journal ${journalPath} line`);
    expect(run.stderr).toContain("was not written by autoexp");
    expect(git(repo, "rev-parse", "autoexp/h").trim()).toBe(head);
    expect(readFileSync(journalPath, "utf8")).toBe(journal);
  }, 120_000);

  it("never kills a process group named by a pid file it did not sign, even with the group's true start time", async () => {
    const repo = withConfig(exampleRepo(), "pipeline: false\n");
    expect(runCli(repo, ["run", "--tag", "d", "--experiments", "1"]).code).toBe(0);
    const decoy = spawn("sleep", ["60"], { detached: true, stdio: "ignore" });
    try {
      const pid = decoy.pid!;
      const pidFile = join(stateDir(repo, "d"), "slots", "0", "eval.pid");
      mkdirSync(join(pidFile, ".."), { recursive: true });
      // What an unsigned check believed: the decoy's own pid and its start time from /proc.
      writeFileSync(pidFile, `${pid} ${processStartTime(pid)}`);
      appendFileSync(pidFile, ""); // the file is in place
      expect(readFileSync(pidFile, "utf8")).toBe(`${pid} ${processStartTime(pid)}`);
      expect(() => process.kill(-pid, 0)).not.toThrow(); // the decoy group is alive
      const run = runCli(repo, ["run", "--tag", "d", "--experiments", "1"]);
      expect(run.code).toBe(0);
      expect(run.stdout).not.toContain("killed an eval or agent left running");
      expect(() => process.kill(-pid, 0)).not.toThrow(); // and still alive
    } finally {
      decoy.kill("SIGKILL");
    }
  }, 120_000);

  it("still kills what a killed run left running (its pid file signed)", async () => {
    const repo = withConfig(exampleRepo(), "pipeline: false\n");
    writeFiles(repo, {
      "autoexp.yml": read(repo, "autoexp.yml").replace(
        "command: node eval.js",
        "command: sleep 3; node eval.js",
      ),
    });
    git(repo, "commit", "-qam", "slow eval");
    const killed = runCli(repo, ["run", "--tag", "s", "--experiments", "1"], {
      AUTOEXP_FAULT: "during-eval@1",
    });
    expect(killed.signal).toBe("SIGKILL");
    const pidFile = join(stateDir(repo, "s"), "slots", "0", "eval.pid");
    const [pid] = readFileSync(pidFile, "utf8").split(" ");
    expect(() => process.kill(-Number(pid), 0)).not.toThrow(); // the eval outlived autoexp
    const resumed = runCli(repo, ["run", "--tag", "s", "--experiments", "1"]);
    expect(resumed.stdout).toContain("killed an eval or agent left running");
    expect(() => process.kill(-Number(pid), 0)).toThrow();
  }, 120_000);
});

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseLog } from "../../action/ledger/log-jsonl.ts";
import { parseResultsTsv } from "../../action/ledger/results-tsv.ts";
import { exampleRepo, git, makeRepo, read, runCli, tempDir, writeFiles } from "../helpers/repo.ts";

/** Everything git knows about a repo, to prove a refused command changed nothing. */
function snapshot(repo: string): string {
  return [
    git(repo, "for-each-ref"),
    git(repo, "status", "--porcelain", "--untracked-files=all"),
    existsSync(join(repo, ".git", "autoexp")) ? "state" : "",
  ].join("\n");
}

describe("the CLI refuses bad input clearly and changes nothing", () => {
  it("malformed config: every problem with its field, exit 2", () => {
    const repo = exampleRepo();
    writeFiles(repo, {
      "bad.yml":
        "name: x\ntarget: [train.js]\neval: { command: '', metrics: { val_loss: { goal: up } } }\n",
    });
    git(repo, "add", "bad.yml");
    git(repo, "commit", "-qm", "bad config");
    const before = snapshot(repo);
    const run = runCli(repo, ["run", "--config", "bad.yml"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("eval.command: must not be empty");
    expect(run.stderr).toContain(
      "eval.metrics.val_loss.goal: goal must be `minimize` or `maximize`",
    );
    expect(snapshot(repo)).toBe(before);
    expect(runCli(repo, ["validate", "--config", "bad.yml"]).code).toBe(2);
  });

  it("missing eval command and missing config file", () => {
    const repo = exampleRepo();
    writeFiles(repo, {
      "a.yml": "name: x\ntarget: [train.js]\neval: { metrics: { val_loss: { goal: minimize } } }\n",
    });
    const run = runCli(repo, ["validate", "--config", "a.yml"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("eval.command: is required");
    const missing = runCli(repo, ["run", "--config", "nope.yml"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(
      "file not found: create one with `autoexp init`, or pass --config PATH",
    );
  });

  it.each([
    ["garbage", "console.log('val_loss: lots of it')", "bad metric output: val_loss missing"],
    ["nothing", "", "bad metric output: val_loss missing"],
    ["NaN", "console.log('val_loss: nan')", "val_loss is NaN"],
  ])(
    "an eval that prints %s fails the baseline with its log, exit 1, and creates no branch",
    (_name, body, message) => {
      const repo = exampleRepo();
      writeFiles(repo, { "eval.js": body });
      git(repo, "commit", "-qam", "broken eval");
      const run = runCli(repo, ["run", "--tag", "b"]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(message);
      expect(run.stderr).toMatch(/Full log: .*0-0\.log/);
      expect(git(repo, "branch", "--list", "autoexp/*").trim()).toBe("");
    },
  );

  it("a target glob matching nothing", () => {
    const repo = exampleRepo();
    writeFiles(repo, {
      "autoexp.yml": read(repo, "autoexp.yml").replace(
        "target: [train.js]",
        "target: [model/*.py]",
      ),
    });
    git(repo, "commit", "-qam", "typo");
    const run = runCli(repo, ["run"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('target.0: "model/*.py" matches no file in the repository');
    expect(existsSync(join(repo, ".git", "autoexp"))).toBe(false);
    expect(git(repo, "branch", "--list", "autoexp/*").trim()).toBe("");
  });

  it("a dirty working tree at start: refused, the user's edit kept", () => {
    const repo = exampleRepo();
    writeFiles(repo, { "train.js": `${read(repo, "train.js")}// my unsaved idea\n` });
    const before = snapshot(repo);
    const run = runCli(repo, ["run", "--tag", "d"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("uncommitted changes (train.js)");
    // Refused before it began: no "tag d on branch autoexp/d" header first.
    expect(run.stdout).toBe("");
    expect(read(repo, "train.js")).toContain("// my unsaved idea");
    expect(snapshot(repo)).toBe(before);
    expect(git(repo, "branch", "--list", "autoexp/*").trim()).toBe("");
  });

  it.each(["x;rm -rf /", "$(touch pwned)", "../escape", "UPPER", "a b"])("a tag like %j", (tag) => {
    const repo = exampleRepo();
    const before = snapshot(repo);
    const run = runCli(repo, ["run", "--tag", tag]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("invalid tag");
    expect(snapshot(repo)).toBe(before);
    expect(existsSync(join(repo, "pwned"))).toBe(false);
  });

  it("a branch autoexp/<tag> that autoexp did not make is left alone", () => {
    const repo = exampleRepo();
    git(repo, "branch", "autoexp/mine");
    const run = runCli(repo, ["run", "--tag", "mine"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("was not made by autoexp");
    expect(git(repo, "rev-parse", "autoexp/mine")).toBe(git(repo, "rev-parse", "main"));
  });

  it("bad flags and unknown commands print usage with exit 2", () => {
    const dir = tempDir();
    expect(runCli(dir, ["frobnicate"]).code).toBe(2);
    expect(runCli(dir, ["run", "--experiments", "0"]).stderr).toContain(
      "--experiments must be a whole number >= 1",
    );
    expect(runCli(dir, ["run", "--bogus"]).code).toBe(2);
  });
});

describe("autoexp demo, status and report", () => {
  it("improves the example and leaves results.tsv, log.jsonl and dashboard.md that agree", () => {
    const dir = join(tempDir(), "demo-run");
    const run = runCli(tempDir(), ["demo", "--dir", dir, "--experiments", "8"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/\[8\/8\] #8 /);
    const show = (f: string) => git(dir, "show", `autoexp/demo:.autoexp/demo/${f}`);
    const log = parseLog(show("log.jsonl"));
    const tsv = parseResultsTsv(show("results.tsv"));
    const best = Math.min(...log.results.filter((r) => r.status === "keep").map((r) => r.score!));
    expect(best).toBeLessThan(log.config!.baseline);
    expect(tsv.rows).toHaveLength(log.results.length);
    expect(tsv.rows.map((r) => r.values.val_loss)).toEqual(
      log.results.map((r) => Number(r.score!.toFixed(6))),
    );
    const dashboard = show("dashboard.md");
    expect(dashboard).toContain(`best **${Number(best.toPrecision(6))}**`);
    expect(dashboard).toContain(`${log.results.length - 1} experiments after the baseline:`);

    const status = runCli(dir, ["status", "--tag", "demo"]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`baseline ${Number(log.config!.baseline.toPrecision(6))}`);
    // The batch's last line says over how many runs its baseline is the mean (re-measures pool
    // into it: a newcomer saw the first line's baseline and the last's differ, unexplained).
    const baseRuns = log.results[0]!.samples.val_loss!.length;
    expect(run.stdout).toMatch(
      new RegExp(`\\nval_loss: baseline [\\d.]+ \\(${baseRuns} runs?\\) -> best `),
    );
    // The summary line the demo prints works from where the demo was run, not only inside it.
    const printed = /npx autoexp (status --tag demo --dir \S+),/.exec(run.stdout);
    expect(printed, run.stdout.slice(-400)).not.toBeNull();
    const fromOutside = runCli(tempDir(), printed![1]!.split(" "));
    expect(fromOutside.stderr).toBe("");
    expect(fromOutside.stdout).toBe(status.stdout);
    const nowhere = runCli(tempDir(), ["status", "--tag", "demo", "--dir", join(dir, "nope")]);
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toContain("is not inside a git repository");
    const again = runCli(tempDir(), ["demo", "--dir", dir]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("exists and is not empty");
  });

  it("renders karpathy/autoresearch's results.tsv as a dashboard", () => {
    const out = join(tempDir(), "dash.md");
    const fixture = join(
      import.meta.dirname,
      "../fixtures/karpathy-autoresearch-H100-mar8-results.tsv",
    );
    const run = runCli(tempDir(), ["report", fixture, "--out", out]);
    expect(run.code).toBe(0);
    const md = readFileSync(out, "utf8");
    expect(md).toContain("**val_bpb** (minimize): baseline **0.9979** → best **0.969686**");
    expect(md).toContain("125 experiments after the baseline: 102 discard · 22 keep · 1 crash");
    // It says where it wrote, and a results.tsv's noise is unknown for what it is.
    expect(run.stdout).toBe(`wrote ${out} (126 rows)\n`);
    expect(md).toContain("noise: unknown (a results.tsv records one run per experiment)");
  });

  it("renders what it can of a results.tsv with broken lines, and names the lines it skipped", () => {
    const fixture = readFileSync(
      join(import.meta.dirname, "../fixtures/karpathy-autoresearch-H100-mar8-results.tsv"),
      "utf8",
    ).split("\n");
    // Line 5 cut short, line 9 with a value typed by hand.
    fixture[4] = fixture[4]!.split("\t").slice(0, 2).join("\t");
    fixture[8] = fixture[8]!.replace(/^(\w+)\t[\d.]+/, "$1\tabout 0.99");
    const dir = tempDir();
    writeFiles(dir, { "results.tsv": fixture.join("\n") });
    const run = runCli(dir, ["report", "results.tsv", "--goal", "minimise"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe(
      [
        "warning: results.tsv: line 5 skipped: 2 columns, expected 5",
        'warning: results.tsv: line 9 skipped: val_bpb is not a number ("about 0.99")',
        "",
      ].join("\n"),
    );
    expect(run.stdout).toContain("123 experiments after the baseline:");
    expect(run.stdout).toContain("best **0.969686**");
  });

  it("refuses a file that is not a results.tsv at all", () => {
    const dir = tempDir();
    writeFiles(dir, { "notes.txt": "hello\tworld\n" });
    const run = runCli(dir, ["report", "notes.txt"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("cannot read notes.txt: not a results.tsv: the header must be");
  });

  it("validate says what it checked, and writes nothing", () => {
    const repo = exampleRepo();
    const before = snapshot(repo);
    const run = runCli(repo, ["validate"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      "autoexp.yml is valid: val_loss (minimize), target train.js, frozen eval.js",
    );
    expect(snapshot(repo)).toBe(before);
  });

  it("status and report point from where a newcomer looks to where the record is", () => {
    const repo = exampleRepo();
    expect(runCli(repo, ["run", "--tag", "r", "--experiments", "1"]).code).toBe(0);
    // A split branch (autoexp/<tag>--<n>) holds no record: status names the tag that does.
    git(repo, "branch", "autoexp/r--1", "autoexp/r");
    const split = runCli(repo, ["status", "--tag", "r--1"]);
    expect(split.code).toBe(2);
    expect(split.stderr).toContain(
      "autoexp/r--1 is change set 1 that `autoexp split` made from tag r: its record is r's (autoexp status --tag r)",
    );
    expect(runCli(repo, ["status", "--tag", "nope"]).stderr).toContain(
      "no autoexp record for tag nope. Tags here: r (autoexp status --tag T)",
    );
    // verify, attribute and split say the same, and leave no folder for the tag behind.
    for (const command of ["verify", "attribute", "split"]) {
      const none = runCli(repo, [command, "--tag", "nope"]);
      expect(none.code).toBe(2);
      expect(none.stderr).toContain(
        `no autoexp record for tag nope. Tags here: r (autoexp ${command} --tag T)`,
      );
    }
    expect(existsSync(join(repo, ".git", "autoexp", "nope"))).toBe(false);
    // The record is on the tag's branch, not in the checkout: report says how to get it.
    const missing = runCli(repo, ["report", ".autoexp/r/log.jsonl"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(
      "A tag's record is on its branch: `git show autoexp/r:.autoexp/r/log.jsonl > log.jsonl`",
    );
    // A copy made that way is titled by its tag, not by the copy's path.
    writeFileSync(join(repo, "copy.jsonl"), git(repo, "show", "autoexp/r:.autoexp/r/log.jsonl"));
    expect(runCli(repo, ["report", "copy.jsonl"]).stdout.split("\n")[0]).toBe("# autoexp · r");
    // A ledger records its goal: a --goal that disagrees is said to be unused, not taken silently.
    const goal = runCli(repo, ["report", "copy.jsonl", "--goal", "maximize"]);
    expect(goal.code).toBe(0);
    expect(goal.stderr).toMatch(
      /note: copy\.jsonl: --goal maximize is not used: a ledger records its goal \(minimize\)/,
    );
  });

  it("report warns when a results.tsv's keeps move the metric the other way from the goal", () => {
    const dir = tempDir();
    const tsv = [
      "commit\taccuracy\tmemory_gb\tstatus\tdescription",
      "a1b2c3d\t0.50\t1.0\tkeep\tbaseline",
      "b2c3d4e\t0.60\t1.0\tkeep\tmore epochs",
      "c3d4e5f\t0.55\t1.0\tdiscard\tsmaller batch",
      "d4e5f6a\t0.70\t1.0\tkeep\twarmup",
    ].join("\n");
    writeFiles(dir, { "acc.tsv": `${tsv}\n` });
    const run = runCli(dir, ["report", "acc.tsv"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(
      "warning: acc.tsv: The kept rows move accuracy the other way from the goal: 0.5 on the first row, 0.7 on the last kept one, with minimize as the goal. A results.tsv does not say which way is better: if higher is, give --goal maximize.",
    );
    const right = runCli(dir, ["report", "acc.tsv", "--goal", "maximize"]);
    expect(right.stderr).toBe("");
  });

  it("validate warns of an eval script the repository lacks, with the one meant", () => {
    const repo = exampleRepo();
    const yml = readFileSync(join(repo, "autoexp.yml"), "utf8");
    expect(yml).toContain("node eval.js");
    writeFileSync(join(repo, "typo.yml"), yml.replace("node eval.js", "node evl.js"));
    const run = runCli(repo, ["validate", "--config", "typo.yml"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      "warning: eval.command: names evl.js, which is not a file in the repository (did you mean eval.js?): the baseline would fail to run it",
    );
  });
});

describe("autoexp check", () => {
  // Noise from a fixed sequence (sd ≈ 0.1) so the report is the same every time.
  const NOISY = `const fs = require("node:fs");
const n = Number(fs.existsSync(process.env.COUNTER) ? fs.readFileSync(process.env.COUNTER, "utf8") : 0);
fs.writeFileSync(process.env.COUNTER, String(n + 1));
console.log("loss: " + (1 + [0.1, -0.1, 0.05, -0.05, 0.15, -0.15][n % 6]));
console.log(process.argv[2] === "bad" && n === 2 ? "mem: lots" : "mem: 10");`;
  // The eval counts its runs in a file outside its copy: declared, as a batch would need it.
  const config = (args: string, counterDir: string) => `name: chk
target: [t.txt]
frozen: [eval.js]
eval:
  command: node eval.js ${args}
  metrics:
    loss: { goal: minimize }
    mem: { guard: { max: 100 } }
  pass_env: [COUNTER]
isolation: { shared: [${JSON.stringify(counterDir)}] }
`;

  it("reports parsing, noise, time, min_delta, and whether a hoped-for effect can be seen", () => {
    const counterDir = tempDir();
    const repo = makeRepo({
      "t.txt": "x\n",
      "eval.js": NOISY,
      "autoexp.yml": config("", counterDir),
    });
    const before = snapshot(repo);
    const counter = join(counterDir, "n1");
    const run = runCli(repo, ["check", "--runs", "6", "--effect", "0.02"], { COUNTER: counter });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("run 6/6: loss 0.85, mem 10");
    expect(run.stdout).toContain("every run printed every metric (loss, mem)");
    expect(run.stdout).toMatch(/loss: mean 1, sd 0\.118322 \(11\.83% of the mean\)/);
    expect(run.stdout).toContain("min_delta auto would choose for loss: 0.0295804");
    expect(run.stdout).toMatch(/experiments per hour to expect: about \d+/);
    // A folder the runs share (the counter's): pairs from the first run, no screen to describe.
    expect(run.stdout).toContain(
      "the figures below are for pairs beside fresh runs of the incumbent from the first run (decide.paired; isolation.shared leaves no first-run screen)",
    );
    expect(run.stdout).toMatch(
      /improvements autoexp keeps 80% of the time: about [\d.]+ sd = [\d.]+ in loss;/,
    );
    expect(run.stdout).toMatch(
      /an improvement of 0\.02 is 0\.17 sd: autoexp would keep it about \d+% of the time: TOO NOISY/,
    );
    expect(snapshot(repo)).toBe(before);
    // The goal sets the direction: -0.5 is an improvement of 0.5, not "an improvement of -0.5".
    const big = runCli(repo, ["check", "--runs", "6", "--effect", "-0.5"], { COUNTER: counter });
    expect(big.stdout).toMatch(
      /an improvement of 0\.5 is 4\.23 sd: autoexp would keep it about \d+% of the time: fine/,
    );
  });

  it("gives the paired rule's power at the starting screen and at 2 sd (decide.screen_sd: auto), or at a fixed screen", () => {
    const counterDir = tempDir();
    const unshared = (extra: string) =>
      config("", counterDir).replace(/^isolation: .*$/m, `isolation: none\n${extra}`);
    const repo = makeRepo({ "t.txt": "x\n", "eval.js": NOISY, "autoexp.yml": unshared("") });
    const counter = join(counterDir, "n3");
    const run = runCli(repo, ["check", "--runs", "6", "--effect", "0.2"], { COUNTER: counter });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /experiments per hour to expect: about \d+ \([\d.]+ eval runs per candidate on average, the incumbent's beside it included, agent time not included\)/,
    );
    expect(run.stdout).toContain(
      "the figures below are for pairs beside fresh runs of the incumbent (decide.paired), each candidate's first run screened against the incumbent's 10 latest runs",
    );
    // sd 0.118: +2 sd is 0.237, +3 sd 0.355.
    expect(run.stdout).toContain(
      "improvements autoexp keeps 80% of the time: about 2 sd = 0.236643 in loss at the starting screen, 3 sd = 0.354965 if the night's proposals push the screen to 2 sd (decide.screen_sd: auto; to hold it at the starting screen all night, set decide.screen_sd: 0.25); smaller real improvements will mostly be discarded",
    );
    const effect = run.stdout.match(
      /an improvement of 0\.2 is 1\.69 sd: autoexp would keep it about (\d+)% of the time at the starting screen, (\d+)% if the night's proposals push the screen to 2 sd \(decide\.screen_sd: auto; to hold it at the starting screen all night, set decide\.screen_sd: 0\.25\): TOO NOISY/,
    );
    expect(effect, run.stdout).not.toBeNull();
    const [start, top] = [Number(effect![1]), Number(effect![2])];
    expect(start).toBeGreaterThan(60);
    expect(top).toBeLessThan(start - 15);
    // --json: the same line with the figures per screen.
    const json = runCli(repo, ["check", "--runs", "6", "--effect", "0.2", "--json"], {
      COUNTER: counter,
    });
    const lines = json.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const power = lines.find((l) => l.power?.effectSd !== undefined);
    expect(power.type).toBe("check");
    expect(power.text).toMatch(/^an improvement of 0\.2 is 1\.69 sd/);
    expect(power.power.rule).toBe("paired");
    expect(power.power.at.map((a: { screenSd: number }) => a.screenSd)).toEqual([0.25, 2]);
    expect(Math.round(power.power.at[0].keepRate * 100)).toBe(start);
    // A fixed screen: one figure, at that screen.
    writeFiles(repo, { "autoexp.yml": unshared("decide: { screen_sd: 1 }") });
    const fixed = runCli(repo, ["check", "--runs", "6", "--effect", "0.2"], { COUNTER: counter });
    expect(fixed.stdout).toMatch(
      /an improvement of 0\.2 is 1\.69 sd: autoexp would keep it about \d+% of the time with the screen at 1 sd \(decide\.screen_sd\): TOO NOISY/,
    );
  });

  it("fails when a run does not print every metric, and refuses bad flags", () => {
    const counterDir = tempDir();
    const repo = makeRepo({
      "t.txt": "x\n",
      "eval.js": NOISY,
      "autoexp.yml": config("bad", counterDir),
    });
    const run = runCli(repo, ["check", "--runs", "4"], { COUNTER: join(counterDir, "n2") });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      "run 3/4: FAILED (bad metric output: mem missing (found `mem:` but `lots` is not a number; print `mem: <number>`))",
    );
    expect(run.stdout).toContain("PROBLEM: 1 of 4 runs did not give every metric in eval.metrics");
    const bad = runCli(repo, ["check", "--effect", "much"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      '--effect must be a non-zero number in the primary metric\'s units, got "much"',
    );
  });
});

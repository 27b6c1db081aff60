// A newcomer's usual first batch keeps nothing: every command that measures a tag's kept code
// then says so in one line, with its exit code, and --json still ends with its done event.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type CliRun, git, makeRepo, runCli } from "../helpers/repo.ts";

/** One message on stderr (no Node stack trace) and, with --json, a last line that is `done`. */
function expectMessage(ran: CliRun, what: string, code: number, message: RegExp, json: boolean) {
  expect(ran.code, `${what}: ${ran.stderr}`).toBe(code);
  expect(ran.stderr, what).toMatch(message);
  expect(ran.stderr, what).not.toMatch(/^\s+at /m);
  expect(ran.stderr, what).not.toContain("Node.js v");
  if (!json) return;
  const last = JSON.parse(ran.stdout.trim().split("\n").at(-1)!);
  expect(last, what).toMatchObject({ type: "done", exitCode: code });
}

/** Every line of stdout is JSON (written with jsonLine), and the last is `done` with the exit code. */
function expectDone(ran: CliRun, what: string, code: number) {
  expect(ran.code, `${what}: ${ran.stderr}`).toBe(code);
  expect(ran.stderr, what).not.toMatch(/^\s+at /m);
  const lines = ran.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  expect(lines.at(-1), what).toMatchObject({ type: "done", exitCode: code });
  expect(
    lines.filter((l) => l.type === "done"),
    what,
  ).toHaveLength(1);
  return lines;
}

const TSV =
  "commit\tscore\tstatus\tdescription\nabc1234\t10.0\tkeep\tbaseline\ndef5678\t9.0\tdiscard\ttry 9\n";

const CONFIG = `name: nk
target: [value.txt]
frozen: [eval.js]
eval: { command: node eval.js, metrics: { score: { goal: minimize } } }
decide: { baseline_runs: 2 }
budget: { experiments: 2 }
`;

describe("commands on a tag that kept nothing", () => {
  it("verify, attribute, attribute --yes and split: a message, exit 1, no stack trace, a done event", () => {
    const repo = makeRepo({ "value.txt": "10\n", "eval.js": 'console.log("score: 10")\n' });
    writeFileSync(join(repo, "autoexp.yml"), CONFIG);
    git(repo, "add", "-A");
    git(repo, "commit", "-qm", "config");
    const night = runCli(repo, ["run", "--tag", "t"]);
    expect(night.code, night.stderr).toBe(0);
    expect(night.stdout).toContain("0 kept");
    for (const args of [["verify"], ["attribute"], ["attribute", "--yes"], ["split"]]) {
      // --json changes only stdout: the message is on stderr as without it.
      const ran = runCli(repo, [...args, "--tag", "t", "--json"]);
      expectMessage(ran, args.join(" "), 1, /^autoexp: tag t has kept nothing yet: /m, true);
      // Said first: nothing about how evals would run comes before it.
      const plain = runCli(repo, [...args, "--tag", "t"]);
      expect(plain.stderr).toMatch(
        /^autoexp: tag t has kept nothing yet: .*nothing to (verify|attribute|split)$/m,
      );
      expect(plain.stdout + plain.stderr).not.toMatch(/isolation|sandbox/);
    }
    // validate, check, report and import take --json too: findings as JSON lines, then done.
    const valid = expectDone(runCli(repo, ["validate", "--json"]), "validate", 0);
    expect(valid.find((l) => l.type === "valid")).toMatchObject({
      objectives: [{ name: "score" }],
    });
    const checked = expectDone(runCli(repo, ["check", "--runs", "2", "--json"]), "check", 0);
    expect(checked.some((l) => l.type === "check" && /^run 2\/2: score 10/.test(l.text))).toBe(
      true,
    );
    writeFileSync(
      join(repo, "..", "nk-log.jsonl"),
      git(repo, "show", "autoexp/t:.autoexp/t/log.jsonl"),
    );
    const reported = expectDone(runCli(repo, ["report", "../nk-log.jsonl", "--json"]), "report", 0);
    expect(reported.find((l) => l.type === "report")).toMatchObject({ experiments: 3 });
    writeFileSync(join(repo, "..", "nk.tsv"), `${TSV}ghi9abc\tnot-a-number\tkeep\tbad line\n`);
    const imported = expectDone(
      runCli(repo, ["import", "../nk.tsv", "--tag", "t", "--json"]),
      "import",
      0,
    );
    expect(imported.map((l) => l.type)).toEqual(["skipped", "imported", "done"]);
    expect(imported[1]).toMatchObject({ rows: 2, pending: false });
    const undone = expectDone(
      runCli(repo, ["import", "--undo", "--tag", "t", "--json"]),
      "import --undo",
      0,
    );
    expect(undone[0]).toMatchObject({ type: "import-undone", id: imported[1].id });
    expectDone(
      runCli(repo, ["import", "--undo", "--tag", "t", "--json"]),
      "import --undo again",
      2,
    );
  }, 120_000);

  it("status, verify, attribute, attribute --yes and split on a tag with no record: exit 2, the fix named", () => {
    const repo = makeRepo({ "value.txt": "10\n", "eval.js": 'console.log("score: 10")\n' });
    writeFileSync(join(repo, "autoexp.yml"), CONFIG);
    git(repo, "add", "-A");
    git(repo, "commit", "-qm", "config");
    for (const args of [["status"], ["verify"], ["attribute"], ["attribute", "--yes"], ["split"]]) {
      const ran = runCli(repo, [...args, "--tag", "nope", "--json"]);
      expectMessage(ran, args.join(" "), 2, /^autoexp: no autoexp record for tag nope[:.] /m, true);
    }
    expectDone(runCli(repo, ["validate", "--json"]), "validate", 0);
    const missing = runCli(repo, ["report", ".autoexp/nope/log.jsonl", "--json"]);
    expectMessage(
      missing,
      "report",
      2,
      /^autoexp: cannot read \.autoexp\/nope\/log\.jsonl: no such file/m,
      true,
    );
    expectDone(runCli(repo, ["import", "--undo", "--tag", "nope", "--json"]), "import --undo", 2);
    writeFileSync(join(repo, "..", "nope.tsv"), TSV);
    const waiting = expectDone(
      runCli(repo, ["import", "../nope.tsv", "--tag", "nope", "--json"]),
      "import",
      0,
    );
    expect(waiting[0]).toMatchObject({ type: "imported", pending: true });
    expect(git(repo, "branch", "--list", "autoexp/*")).toBe("");
  }, 60_000);

  it("every command that reads the config, on a broken one: each problem with its field, exit 2, nothing written", () => {
    const repo = makeRepo({
      "value.txt": "10\n",
      "eval.js": 'console.log("score: 10")\n',
      "autoexp.yml":
        "name: Bad Name\ntarget: [value.txt]\neval: { command: node eval.js, metrics: { score: { goal: sideways } } }\n",
      "results.tsv": "commit\tscore\tstatus\tdescription\nabc1234\t10.0\tkeep\tbaseline\n",
    });
    const commands = [
      ["validate"],
      ["check", "--runs", "2"],
      ["run", "--json"],
      ["status", "--json"],
      ["verify", "--json"],
      ["attribute", "--json"],
      ["attribute", "--yes", "--json"],
      ["split", "--json"],
      ["import", "results.tsv"],
      ["validate", "--json"],
      ["check", "--runs", "2", "--json"],
      ["import", "results.tsv", "--json"],
      ["import", "--undo", "--json"],
    ];
    for (const args of commands) {
      const ran = runCli(repo, args);
      const what = args.join(" ");
      expectMessage(ran, what, 2, /autoexp\.yml: 2 problems/, args.includes("--json"));
      if (args.includes("--json")) expectDone(ran, what, 2);
      expect(ran.stderr, what).toMatch(/^\s+- name: .*e\.g\. `tiny-train`/m);
      expect(ran.stderr, what).toMatch(/^\s+- eval\.metrics\.score\.goal: /m);
    }
    expect(git(repo, "status", "--porcelain")).toBe("");
    expect(git(repo, "for-each-ref", "refs/heads/autoexp", "refs/autoexp")).toBe("");
    // validate --json names each problem's field as a finding of its own.
    const problems = expectDone(runCli(repo, ["validate", "--json"]), "validate", 2);
    expect(problems.filter((l) => l.type === "problem").map((l) => l.field)).toEqual([
      "name",
      "eval.metrics.score.goal",
    ]);
    // report reads no config: a file it cannot read is its bad input.
    writeFileSync(join(repo, "..", "empty.tsv"), "commit\tscore\tstatus\tdescription\n");
    const empty = runCli(repo, ["report", "../empty.tsv", "--json"]);
    expectMessage(
      empty,
      "report",
      2,
      /^autoexp: cannot read \.\.\/empty\.tsv: no readable row/m,
      true,
    );
  }, 60_000);
});

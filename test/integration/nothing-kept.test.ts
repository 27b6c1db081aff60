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
    }
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
    ];
    for (const args of commands) {
      const ran = runCli(repo, args);
      const what = args.join(" ");
      expectMessage(ran, what, 2, /autoexp\.yml: 2 problems/, args.includes("--json"));
      expect(ran.stderr, what).toMatch(/^\s+- name: .*e\.g\. `tiny-train`/m);
      expect(ran.stderr, what).toMatch(/^\s+- eval\.metrics\.score\.goal: /m);
    }
    expect(git(repo, "status", "--porcelain")).toBe("");
    expect(git(repo, "for-each-ref", "refs/heads/autoexp", "refs/autoexp")).toBe("");
  }, 60_000);
});

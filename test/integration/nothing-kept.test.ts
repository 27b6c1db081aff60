// A newcomer's usual first batch keeps nothing: every command that measures a tag's kept code
// then says so in one line, with its exit code, and --json still ends with its done event.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { git, makeRepo, runCli } from "../helpers/repo.ts";

describe("commands on a tag that kept nothing", () => {
  it("verify, attribute, attribute --yes and split: a message, exit 1, no stack trace, a done event", () => {
    const repo = makeRepo({ "value.txt": "10\n", "eval.js": 'console.log("score: 10")\n' });
    writeFileSync(
      join(repo, "autoexp.yml"),
      `name: nk
target: [value.txt]
frozen: [eval.js]
eval: { command: node eval.js, metrics: { score: { goal: minimize } } }
decide: { baseline_runs: 2 }
budget: { experiments: 2 }
`,
    );
    git(repo, "add", "-A");
    git(repo, "commit", "-qm", "config");
    const night = runCli(repo, ["run", "--tag", "t"]);
    expect(night.code, night.stderr).toBe(0);
    expect(night.stdout).toContain("0 kept");
    for (const args of [["verify"], ["attribute"], ["attribute", "--yes"], ["split"]]) {
      const ran = runCli(repo, [...args, "--tag", "t"]);
      const what = args.join(" ");
      expect(ran.code, what).toBe(1);
      expect(ran.stderr, what).toMatch(/^autoexp: tag t has kept nothing yet: /m);
      expect(ran.stderr, what).not.toMatch(/^\s+at /m);
      expect(ran.stderr, what).not.toContain("Node.js v");
      const json = runCli(repo, [...args, "--tag", "t", "--json"]);
      const last = JSON.parse(json.stdout.trim().split("\n").at(-1)!);
      expect(last, what).toMatchObject({ type: "done", exitCode: 1 });
      expect(last.error, what).toMatch(/kept nothing yet/);
    }
  }, 120_000);
});

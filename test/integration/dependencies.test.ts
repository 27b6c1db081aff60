import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { git, makeRepo, runCli, writeFiles } from "../helpers/repo.ts";

const PROJECT = {
  "knob.py": "X = 1\n",
  "eval.js": `const x = Number(/X = (.*)/.exec(require("node:fs").readFileSync("knob.py", "utf8"))[1]);
console.log("loss: " + Math.abs(x - 3));\n`,
  "autoexp.yml": `
name: deps
target: [knob.py]
frozen: [eval.js, autoexp.yml]
eval: { command: node eval.js, metrics: { loss: { goal: minimize } } }
decide: { baseline_runs: 1, min_delta: 0 }
isolation: none
budget: { experiments: 2 }
`,
};
// An install, as `npm install --save-dev autoexp` leaves one: a package of a few files.
const INSTALL = {
  "node_modules/autoexp/package.json": '{"name":"autoexp"}\n',
  "node_modules/autoexp/dist/cli.js": `${"x".repeat(4096)}\n`,
  "node_modules/.package-lock.json": "{}\n",
};

/** Every path under the tag's slots and agent checkouts that lies in a node_modules folder. */
function copiedDependencies(repo: string): string[] {
  const state = join(repo, ".git", "autoexp", "t");
  const found: string[] = [];
  for (const kind of ["slots", "agents", "rebase"]) {
    const dir = join(state, kind);
    if (!existsSync(dir)) continue;
    for (const path of readdirSync(dir, { recursive: true }) as string[])
      if (path.split("/").includes("node_modules")) found.push(join(kind, path));
  }
  return found;
}

describe("installed dependencies and the copies autoexp makes", () => {
  it("warns once at run start when node_modules is committed, with its size and the fix", () => {
    const repo = makeRepo({ ...PROJECT, ...INSTALL });
    const run = runCli(repo, ["run", "--tag", "t"]);
    expect(run.code, run.stderr).toBe(0);
    const warnings = run.stderr.split("\n").filter((l) => l.includes("node_modules is committed"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("(3 files, 4.0 KiB)");
    expect(warnings[0]).toContain("git rm -r --cached node_modules");
    // What it warns of: tracked, the install is in every copy of the tree.
    expect(copiedDependencies(repo)).toContain("slots/0/tree/node_modules/autoexp/dist/cli.js");
  });

  it("never copies an ignored node_modules into a slot or an agent checkout, and says nothing", () => {
    const repo = makeRepo({ ...PROJECT, ".gitignore": "node_modules/\n" });
    writeFiles(repo, INSTALL);
    expect(git(repo, "status", "--porcelain")).toBe("");
    const run = runCli(repo, ["run", "--tag", "t"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toContain("node_modules");
    expect(readdirSync(join(repo, ".git", "autoexp", "t", "slots"))).not.toHaveLength(0);
    expect(copiedDependencies(repo)).toEqual([]);
  });
});

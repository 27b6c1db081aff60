import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../action/config/parse-config-text.ts";
import { runBatch } from "../../action/engine/run-batch.ts";
import type { ResultEntry } from "../../action/ledger/types.ts";
import { branchLog, git, makeRepo, tempDir, writeFiles } from "../helpers/repo.ts";

// A hostile `command` agent that tries, one experiment each, the git edge cases that used to
// wedge a tag or keep a score `git checkout` does not reproduce. Each attack leaves a beacon
// (beacons/<n>.json, outside the agent's checkout) saying what it really made there, so a broken
// attack script cannot pass as blocked.

// The score: value.txt's number, lowered by 0.8 when lib/w.txt reads back expanded by `ident`.
const EVAL = `
const fs = require("node:fs");
const v = Number(fs.readFileSync("value.txt", "utf8").trim());
const w = fs.existsSync("lib/w.txt") ? fs.readFileSync("lib/w.txt", "utf8") : "";
console.log("score: " + (w.includes("$Id:") ? v - 0.8 : v));
`;

const AGENT = (beacons: string) => `
const fs = require("node:fs");
const BEACONS = ${JSON.stringify(beacons)};
const path = require("node:path");
const { execFileSync } = require("node:child_process");
const n = Number(process.env.AUTOEXP_ITERATION);
const beacon = (facts) =>
  fs.writeFileSync(path.join(BEACONS, n + ".json"), JSON.stringify(facts));
const lexists = (p) => { try { fs.lstatSync(p); return true; } catch { return false; } };
let description = "attack " + n;
switch (n) {
  case 1: { // a target replaced by a link, nothing else
    fs.rmSync("value.txt");
    fs.symlinkSync("lib/w.txt", "value.txt");
    beacon({ link: fs.lstatSync("value.txt").isSymbolicLink() });
    description = "value.txt as a link";
    break;
  }
  case 2: { // ident in the target folder: checkout would expand $Id$
    fs.writeFileSync("lib/.gitattributes", "w.txt ident\\n");
    fs.writeFileSync("lib/w.txt", "$Id$\\n");
    beacon({ attributes: fs.readFileSync("lib/.gitattributes", "utf8") });
    break;
  }
  case 3: { // a nested repository inside target
    execFileSync("git", ["init", "-q", "lib/inner"]);
    fs.writeFileSync("lib/inner/x.txt", "x\\n");
    beacon({ nested: fs.existsSync("lib/inner/.git/HEAD") });
    break;
  }
  case 4: { // the aliases git refuses: case, NTFS short name, HFS-ignorable code point
    for (const name of [".GIT", "git~1", ".g\\u200cit", ".git. "]) {
      fs.mkdirSync(path.join("lib", name), { recursive: true });
      fs.writeFileSync(path.join("lib", name, "config"), "[core]\\n");
    }
    beacon({ made: fs.readdirSync("lib").sort() });
    break;
  }
  case 5: { // 420 folders deep (longer than PATH_MAX), made by walking down
    const top = process.cwd();
    let depth = 0;
    for (; depth < 420; depth++) { fs.mkdirSync("dddddddddddd"); process.chdir("dddddddddddd"); }
    fs.writeFileSync("bottom.txt", "deep\\n");
    process.chdir(top);
    beacon({ depth, bottom: 420 * 13 });
    break;
  }
  case 6: { // a file name that is not UTF-8
    fs.writeFileSync(Buffer.from([0x6c, 0x69, 0x62, 0x2f, 0xff, 0xfe, 0x2e, 0x74]), "x\\n");
    beacon({ raw: fs.readdirSync("lib", { encoding: "buffer" }).some((b) => b.includes(0xff)) });
    break;
  }
  case 7: { // a target folder replaced by a link
    fs.rmSync("lib", { recursive: true });
    fs.symlinkSync("/etc", "lib");
    beacon({ link: fs.lstatSync("lib").isSymbolicLink() });
    break;
  }
  default: { // an honest change: the tag still works after every attack above
    fs.writeFileSync("value.txt", String(10 - n) + "\\n");
    description = "lower to " + (10 - n);
  }
}
fs.writeFileSync(process.env.AUTOEXP_DESCRIPTION_FILE, description);
`;

function configFor(agentPath: string, experiments: number) {
  const result = parseConfigText(`
name: edges
target: [value.txt, "lib/**"]
frozen: [eval.js]
eval:
  command: node eval.js
  timeout: 10s
  metrics: { score: { goal: minimize } }
decide: { min_delta: 0 }
agent: { use: command, run: [node, ${JSON.stringify(agentPath)}], timeout: 20s }
budget: { experiments: ${experiments}, stop_after_failures: 50 }
isolation: none
`);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.config;
}

/** Every path of every tree of every commit in the repository. */
function allTreePaths(repo: string): string[] {
  const revs = git(repo, "rev-list", "--all").trim().split("\n");
  return revs.flatMap((rev) =>
    git(repo, "ls-tree", "-r", "-t", "-z", "--name-only", rev).split("\0"),
  );
}

describe("git edge cases an agent can make", () => {
  it("links, attributes, nested and aliased .git, deep folders, odd names: violations with valid commits, and the tag resumes", async () => {
    const repo = makeRepo({
      "value.txt": "10\n",
      "eval.js": EVAL,
      "lib/w.txt": "plain\n",
      "lib/util.txt": "u\n",
    });
    const agentDir = tempDir();
    const beacons = join(agentDir, "beacons");
    writeFiles(agentDir, { "agent.js": AGENT(beacons), "beacons/.keep": "" });
    const config = configFor(join(agentDir, "agent.js"), 8);
    // The batch ends on the deep folder, left in the agent's checkout; the next batch resumes.
    await runBatch({ repoDir: repo, config, tag: "e", experiments: 5 });
    const work = join(repo, ".git", "autoexp", "e", "agents", "0", "work");
    expect(existsSync(join(work, "dddddddddddd", "dddddddddddd"))).toBe(true);
    await runBatch({ repoDir: repo, config, tag: "e", experiments: 3 });

    const beacon = (n: number) => JSON.parse(readFileSync(join(beacons, `${n}.json`), "utf8"));
    // Every attack really ran.
    expect(beacon(1)).toEqual({ link: true });
    expect(beacon(2).attributes).toBe("w.txt ident\n");
    expect(beacon(3)).toEqual({ nested: true });
    expect(beacon(4).made).toEqual(
      expect.arrayContaining([".GIT", "git~1", ".g\u200cit", ".git. "]),
    );
    expect(beacon(5)).toEqual({ depth: 420, bottom: 5460 });
    expect(beacon(6)).toEqual({ raw: true });
    expect(beacon(7)).toEqual({ link: true });

    const rows = branchLog(repo, "e").filter(
      (e) => e.type === "result",
    ) as unknown as ResultEntry[];
    expect(rows.map((r) => r.status)).toEqual(["baseline", ...Array(7).fill("violation"), "keep"]);
    const reason = (n: number) => rows[n]!.reason;
    expect(reason(1)).toBe("not regular files: value.txt (a link)");
    expect(reason(2)).toBe(
      "paths git treats as its own: lib/.gitattributes (git attributes: git checkout would write other bytes)",
    );
    expect(reason(3)).toBe(
      "paths git treats as its own: lib/inner/.git (a .git folder: git refuses the name in a tree)",
    );
    for (const alias of ["lib/.GIT", "lib/git~1", "lib/.g\u200cit", "lib/.git. "])
      expect(reason(4)).toContain(`${alias} (a .git folder`);
    expect(reason(5)).toBe(
      "not regular files: dddddddddddd/dddddddddddd/…(65 levels)…/dddddddddddd (folders nested past 64 levels or 1024 bytes of path, not read)",
    );
    expect(reason(6)).toBe("not regular files: lib/\ufffd\ufffd.t (a name that is not UTF-8)");
    expect(reason(7)).toBe("not regular files: lib (a link)");

    // Every violation is recorded with a commit under its ref; every object autoexp wrote passes
    // git's strictest check, and no tree anywhere holds a path git treats as its own.
    for (const r of rows.slice(1))
      expect(git(repo, "rev-parse", r.diff!).trim()).toBe(r.commit_full);
    execFileSync("git", ["fsck", "--strict", "--no-dangling", "--no-progress"], {
      cwd: repo,
      stdio: "pipe",
    });
    const paths = allTreePaths(repo);
    expect(paths).toContain("lib/w.txt");
    expect(
      paths.filter((p) => /(^|\/)(\.git|git~1|\.gitattributes)|\.g\u200cit|dddd/i.test(p)),
    ).toEqual([]);
    // The links are in their violations' commits as links, the folder they replaced gone.
    expect(git(repo, "ls-tree", rows[1]!.commit_full!, "value.txt")).toMatch(/^120000 blob /);
    expect(git(repo, "ls-tree", "-r", rows[7]!.commit_full!, "lib")).toMatch(
      /^120000 blob [0-9a-f]+\tlib\n$/,
    );
    expect(git(repo, "show", `${rows[7]!.commit_full}:lib`)).toBe("/etc");
    // The nested repository's own files were kept for review, its .git was not.
    expect(git(repo, "show", `${rows[3]!.commit_full}:lib/inner/x.txt`)).toBe("x\n");

    // The kept commit, checked out by git itself, scores what autoexp measured.
    const clone = join(tempDir(), "clone");
    git(repo, "clone", "--quiet", "--branch", "autoexp/e", repo, clone);
    const score = execFileSync("node", ["eval.js"], { cwd: clone, encoding: "utf8" });
    expect(score.trim()).toBe(`score: ${rows[8]!.score}`);
    expect(rows[8]!.score).toBe(2);
    // The next experiment started clean: nothing of the deep folder is left in the checkout.
    expect(readdirSync(work).sort()).toEqual([".git", "eval.js", "lib", "value.txt"]);
  }, 60_000);
});

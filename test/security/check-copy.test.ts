// `autoexp check` runs the eval as a batch does: in a fresh copy of the tracked files, never in
// the user's working tree. Found by an outsider: check ran the eval in the tree itself, where it
// read the untracked .env, appended to the target, added `pass_env: [ANTHROPIC_API_KEY]` to
// autoexp.yml and left files a second run found.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { git, makeRepo, runCliAsync, tempDir } from "../helpers/repo.ts";

const SECRET = "DOTENV_SECRET=check-copy-7f3e9a";

/** An eval that tries everything a hostile one would in check, and says what it got. */
function hostileEval(repo: string): string {
  return `const fs = require("fs");
const path = require("path");
const tryRead = (p) => { try { return fs.readFileSync(p, "utf8").trim(); } catch (e) { return e.code; } };
const leftover = fs.existsSync("LEFT_BY_EARLIER_RUN") ? "found" : "none";
fs.writeFileSync("LEFT_BY_EARLIER_RUN", "x");
fs.appendFileSync("solution.js", "// tampered by the eval\\n");
fs.appendFileSync("autoexp.yml", "# planted by the eval\\n");
console.log("attack: leftover " + leftover + ", wrote the target and the config");
console.log("dotenv here: " + tryRead(".env") + ", in the tree: " + tryRead(path.join(${JSON.stringify(repo)}, ".env")));
console.log("solution: v " + require(path.resolve("solution.js")).v);
console.log("score: 1");
`;
}

describe("check runs each eval in a fresh copy of the tracked files", () => {
  it("the eval cannot read the untracked .env, write the tree or leave anything for the next run; uncommitted edits are measured", async () => {
    const dir = makeRepo({
      "solution.js": "exports.v = 1;\n",
      ".gitignore": ".env\n",
      "autoexp.yml": `name: c
target: [solution.js]
frozen: [eval.js]
eval: { command: node eval.js, metrics: { score: { goal: maximize } } }
agent: { use: search }
`,
    });
    writeFileSync(join(dir, "eval.js"), hostileEval(dir));
    git(dir, "add", "eval.js");
    git(dir, "commit", "-qm", "the eval");
    writeFileSync(join(dir, ".env"), `${SECRET}\n`);
    // The user's own uncommitted edit: check measures the tree as it is.
    writeFileSync(join(dir, "solution.js"), "exports.v = 2;\n");
    const config = readFileSync(join(dir, "autoexp.yml"), "utf8");

    const check = await runCliAsync(dir, ["check", "--runs", "2"]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain("each in a fresh copy of");
    // The attack ran (its writes succeeded, in its copy), and run 2 found nothing run 1 left.
    expect(check.stdout).toContain("the last lines run 2 printed:");
    expect(check.stdout).toContain("attack: leftover none, wrote the target and the config");
    expect(check.stdout).toContain("dotenv here: ENOENT, in the tree: ENOENT");
    expect(check.stdout).not.toContain("check-copy-7f3e9a");
    expect(check.stdout).toContain("solution: v 2");
    // The working tree is as the user left it: their edit, nothing planted.
    expect(readFileSync(join(dir, "solution.js"), "utf8")).toBe("exports.v = 2;\n");
    expect(readFileSync(join(dir, "autoexp.yml"), "utf8")).toBe(config);
    expect(existsSync(join(dir, "LEFT_BY_EARLIER_RUN"))).toBe(false);
    expect(git(dir, "status", "--porcelain")).toBe(" M solution.js\n");
    // Its copies (made beside the repository's objects, as a batch's slots are) are gone.
    expect(readdirSync(join(dir, ".git")).filter((n) => n.startsWith("autoexp-check-"))).toEqual(
      [],
    );
    expect(readdirSync(join(dir, ".git", "autoexp-check"))).toEqual([]);
  });

  it("a declared writable cache: each run gets it as it was, and the next check does not copy it whole again", async () => {
    const cache = tempDir();
    writeFileSync(join(cache, "wheel.bin"), "a large wheel");
    const dir = makeRepo({
      "eval.js": `const fs = require("fs");
const poisoned = fs.existsSync(${JSON.stringify(join(cache, "poison"))});
fs.writeFileSync(${JSON.stringify(join(cache, "poison"))}, "x");
console.log("cache: " + (poisoned ? "poisoned" : "clean") + ", wheel " + fs.readFileSync(${JSON.stringify(join(cache, "wheel.bin"))}, "utf8"));
console.log("score: 1");
`,
      "solution.js": "exports.v = 1;\n",
      "autoexp.yml": `name: c
target: [solution.js]
frozen: [eval.js]
eval: { command: node eval.js, metrics: { score: { goal: maximize } } }
isolation: { writable: [${JSON.stringify(cache)}] }
agent: { use: search }
`,
    });
    const first = await runCliAsync(dir, ["check", "--runs", "2"]);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    // Run 2 did not see what run 1 wrote into the cache; the cache itself is as it was.
    expect(first.stdout).toContain("cache: clean, wheel a large wheel");
    expect(first.stdout).not.toContain("cache: poisoned");
    expect(existsSync(join(cache, "poison"))).toBe(false);
    const copy = join(dir, ".git", "autoexp-check", "caches", "0", "wheel.bin");
    const identity = () => {
      const st = statSync(copy, { bigint: true });
      return `${st.ino}:${st.ctimeNs}`;
    };
    const before = identity();
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    const second = await runCliAsync(dir, ["check", "--runs", "2"]);
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.stdout).not.toContain("cache: poisoned");
    // The untouched entry of the copy was kept, not copied again.
    expect(identity()).toBe(before);
  });
});

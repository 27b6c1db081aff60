import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { edit, openaiAnswer, startStub } from "../helpers/llm-stub.ts";
import { branchLog, git, makeRepo, runCliAsync, tempDir } from "../helpers/repo.ts";

const KEY = "sk-proj-Zq81xQvT5mLw0aBc7Yd2Ke9";
const MODEL = "const X = 10;\nmodule.exports = { X };\n";
// The eval prints what it can see of the agent's key (it must see nothing).
const EVAL = `console.log("key seen by eval: " + (process.env.OPENAI_API_KEY ?? "none"));
console.log("score: " + require("./model.js").X);
`;

/** Every file under dir, recursively (the working tree, the state folder, git's metadata). */
function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? allFiles(full) : [full];
  });
}

describe("secrets", () => {
  it("the key reaches the model server only: not the eval, the ledger, the record, the logs, the output or an error", async () => {
    // A leaky model that repeats the key in its description and notes, then a server that
    // echoes it in a 401 error, as some proxies do.
    const stub = await startStub([
      openaiAnswer(
        edit("model.js", "const X = 10;", "const X = 9;", `used ${KEY} to decide`, `key is ${KEY}`),
      ),
      { status: 401, body: { error: { message: `Incorrect API key provided: ${KEY}.` } } },
    ]);
    const dir = makeRepo({
      "model.js": MODEL,
      "eval.js": EVAL,
      "autoexp.yml": `name: sec
target: [model.js]
frozen: [eval.js]
eval: { command: node eval.js, timeout: 10s, metrics: { score: { goal: minimize } } }
decide: { baseline_runs: 1, min_delta: 0 }
agent: { use: openai, model: m, base_url: "${stub.url}/v1", retries: 0 }
budget: { experiments: 5 }
`,
    });
    const run = await runCliAsync(dir, ["run", "--tag", "sec"], { OPENAI_API_KEY: KEY });
    expect(run.stdout + run.stderr).toContain("the agent cannot work");
    expect(run.stdout + run.stderr).toContain("Incorrect API key provided: [redacted]");
    expect(stub.requests[0]!.headers.authorization).toBe(`Bearer ${KEY}`);

    // The output of the run.
    expect(run.stdout).not.toContain(KEY);
    expect(run.stderr).not.toContain(KEY);
    // Every file of every commit and every ref, and every commit message.
    const revs = git(dir, "rev-list", "--all").trim().split("\n");
    expect(revs.length).toBeGreaterThan(2);
    expect(() => git(dir, "grep", "-F", KEY, ...revs)).toThrow(); // git grep exits 1: no match
    expect(git(dir, "log", "--all", "--format=%B")).not.toContain(KEY);
    // Every file on disk: the checkout, the experiment worktree, eval and agent logs, prompts.
    const files = allFiles(dir);
    expect(files.some((f) => f.includes("/autoexp/sec/logs/"))).toBe(true);
    expect(files.some((f) => f.includes("/autoexp/sec/agents/0/scratch/answer-1.md"))).toBe(true);
    for (const f of files) expect(readFileSync(f).includes(KEY), f).toBe(false);
    // The eval ran without it; the record shows where it was redacted.
    const evalLogs = files.filter((f) => f.includes("/autoexp/sec/logs/"));
    for (const f of evalLogs) expect(readFileSync(f, "utf8")).toContain("key seen by eval: none");
    const log = git(dir, "show", "autoexp/sec:.autoexp/sec/log.jsonl");
    expect(log).toContain("used [redacted] to decide");
    expect(git(dir, "show", "autoexp/sec:.autoexp/sec/notes.md")).toContain("key is [redacted]");
  });

  it("a withheld key an agent got hold of is redacted in every form (base64 at any offset, hex, reversed, URL-encoded) wherever its output is kept or printed", async () => {
    // The key autoexp withholds from a `command` agent, leaked to it by a side door (here a
    // file; in the issue, autoexp's own /proc/<pid>/environ). The agent then writes it, encoded,
    // into everything of its that autoexp keeps: description, notes, its log, an error, code.
    const key = "sk-proj-Zq81/xQv+T5mLw0aBc7Yd2Ke9";
    const side = join(tempDir(), "leak.txt");
    writeFileSync(side, key);
    const agentDir = tempDir();
    const beacons = join(agentDir, "beacons");
    mkdirSync(beacons);
    writeFileSync(
      join(agentDir, "agent.js"),
      `const fs = require("node:fs");
const key = fs.readFileSync(${JSON.stringify(side)}, "utf8");
const n = Number(process.env.AUTOEXP_ITERATION);
const b64 = (s) => Buffer.from(s).toString("base64");
const say = (d) => fs.writeFileSync(process.env.AUTOEXP_DESCRIPTION_FILE, d);
fs.writeFileSync(${JSON.stringify(beacons)} + "/" + n, String(key === ${JSON.stringify(key)}) + " " + (process.env.OPENAI_API_KEY ?? "withheld"));
if (n === 1) {
  fs.writeFileSync("model.js", ${JSON.stringify(MODEL.replace("10", "9"))});
  say("tuned, see " + b64(key));
  fs.writeFileSync(process.env.AUTOEXP_NOTES_FILE, "hex " + Buffer.from(key).toString("hex").toUpperCase());
  console.log("reversed " + [...key].reverse().join(""));
} else if (n === 2) {
  fs.writeFileSync("model.js", "// " + Buffer.from("xy" + key).toString("base64url") + "\\n" + ${JSON.stringify(MODEL.replace("10", "8"))});
  say("encoded " + encodeURIComponent(key));
} else {
  console.error("request failed: Authorization: Basic " + b64("u:" + key + ":tail"));
  process.exit(3);
}
`,
    );
    const dir = makeRepo({
      "model.js": MODEL,
      "eval.js": EVAL,
      "autoexp.yml": `name: sec
target: [model.js]
frozen: [eval.js]
eval: { command: node eval.js, timeout: 10s, metrics: { score: { goal: minimize } } }
decide: { baseline_runs: 1, min_delta: 0 }
agent: { use: command, run: [node, ${JSON.stringify(join(agentDir, "agent.js"))}], timeout: 20s }
budget: { experiments: 3, stop_after_failures: 10 }
isolation: none
`,
    });
    const run = await runCliAsync(dir, ["run", "--tag", "sec"], { OPENAI_API_KEY: key });
    // The attack ran: each experiment's agent had the key, though not from its environment.
    for (const n of [1, 2, 3])
      expect(readFileSync(join(beacons, String(n)), "utf8")).toBe("true withheld");

    const forms = formsOf(key);
    const where: [string, string][] = [
      ["terminal", run.stdout + run.stderr],
      ["every commit, patch and message", git(dir, "log", "--all", "-p", "--format=%H%n%B")],
      [
        "the journal and every file autoexp keeps",
        keptFiles(dir)
          .map((f) => readFileSync(f, "latin1"))
          .join("\n"),
      ],
    ];
    for (const [place, text] of where)
      for (const [form, value] of Object.entries(forms))
        expect(text.includes(value), `${form} in ${place}`).toBe(false);

    // Where it was, the record says so; the code holding it never reached a commit.
    const rows = branchLog(dir, "sec").filter((e) => e.type === "result");
    expect(rows.map((r) => r.status)).toEqual(["baseline", "keep", "violation", "agent_error"]);
    expect(rows[1]!.description).toBe("tuned, see [redacted]");
    expect(git(dir, "show", "autoexp/sec:.autoexp/sec/notes.md")).toContain("hex [redacted]");
    expect(rows[2]!.description).toBe("encoded [redacted]");
    expect(rows[2]!.reason).toBe(
      "files holding a key autoexp withholds (left out of the commit): model.js",
    );
    const violation = rows[2]!.commit_full as string;
    expect(git(dir, "show", `${violation}:model.js`)).toBe(
      git(dir, "show", `${violation}^:model.js`),
    );
    expect(rows[3]!.reason).toContain("Authorization: Basic ");
    expect(rows[3]!.reason).toContain("[redacted]");
    const agentLog = keptFiles(dir).find((f) => f.endsWith("agent-1.log"))!;
    expect(readFileSync(agentLog, "utf8")).toContain("reversed [redacted]");
  });
});

/**
 * The key's forms, computed apart from the redactor: as is, reversed, hex, URL-encoded, and
 * base64 at each byte offset (its middle only: the edges share bits with what surrounds it).
 */
function formsOf(key: string): Record<string, string> {
  const forms: Record<string, string> = {
    plain: key,
    reversed: [...key].reverse().join(""),
    hex: Buffer.from(key).toString("hex"),
    HEX: Buffer.from(key).toString("hex").toUpperCase(),
    url: encodeURIComponent(key),
  };
  for (const prefix of ["", "x", "xy", "u:"]) {
    const bytes = Buffer.from(prefix + key);
    forms[`base64 after ${JSON.stringify(prefix)}`] = bytes.toString("base64").slice(4, -4);
    forms[`base64url after ${JSON.stringify(prefix)}`] = bytes.toString("base64url").slice(4, -4);
  }
  return forms;
}

/** Every file autoexp keeps on disk (state, journal, logs, prompts), not what the agent wrote. */
function keptFiles(dir: string): string[] {
  return allFiles(dir).filter(
    (f) =>
      !/\/agents\/\d+\/work\//.test(f) &&
      !/\/agents\/\d+\/scratch\/(description\.txt|notes\.md|usage\.json)$/.test(f),
  );
}

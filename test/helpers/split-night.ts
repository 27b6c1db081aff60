import { join } from "node:path";
import { git, makeRepo, tempDir, writeFiles } from "./repo.ts";

// A deterministic eval: loss = 100 minus every number after "=" in a.txt, b.txt and c.txt.
const EVAL = `
const fs = require("node:fs");
let sum = 0;
for (const f of ["a.txt", "b.txt", "c.txt"])
  for (const m of fs.readFileSync(f, "utf8").matchAll(/= (\\d+)/g)) sum += Number(m[1]);
console.log("loss: " + (100 - sum));
`;

// A command agent playing a fixed plan: [file, line, value] per iteration, "line <n> = <value>".
const AGENT = `
const fs = require("node:fs");
const i = Number(process.env.AUTOEXP_ITERATION);
const [file, line, value] = JSON.parse(process.env.PLAN)[i - 1];
const lines = fs.readFileSync(file, "utf8").split("\\n");
lines[line - 1] = "line " + line + " = " + value;
fs.writeFileSync(file, lines.join("\\n"));
fs.writeFileSync(process.env.AUTOEXP_DESCRIPTION_FILE, file + " line " + line + " = " + value);
`;

const thirty = () => `${Array.from({ length: 30 }, (_, k) => `line ${k + 1} = 0`).join("\n")}\n`;

/**
 * A repository and config for a night whose kept changes are known: `plan` edits one line of
 * a.txt, b.txt or c.txt per experiment, each raising the sum (so each is kept).
 */
export function splitNight(plan: [string, number, number][]) {
  const repo = makeRepo({
    "a.txt": thirty(),
    "b.txt": thirty(),
    "c.txt": thirty(),
    "eval.js": EVAL,
  });
  const outside = tempDir();
  writeFiles(outside, {
    "agent.js": AGENT,
    "autoexp.yml": `
name: splitting
target: [a.txt, b.txt, c.txt]
frozen: [eval.js]
eval:
  command: node eval.js
  metrics: { loss: { goal: minimize } }
decide: { baseline_runs: 2, remeasure_every: 0 }
pipeline: false
agent: { use: command, run: [node, ${JSON.stringify(join(outside, "agent.js"))}], pass_env: [PLAN], read_only: [${JSON.stringify(outside)}] }
budget: { experiments: ${plan.length} }
`,
  });
  return {
    repo,
    config: join(outside, "autoexp.yml"),
    env: { PLAN: JSON.stringify(plan) },
    show: (ref: string, path: string) => git(repo, "show", `${ref}:${path}`),
  };
}

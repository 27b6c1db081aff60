/**
 * Ctrl-C in a batch, through the real CLI: an eval of --eval-seconds per run (3 by default) that
 * a `command` agent improves every experiment, so each candidate passes its first run and is
 * then measured in pairs. The signal comes --after seconds into experiment #2's first run.
 *
 * Usage: node bench/interrupt.ts [--eval-seconds 3] [--after 1] [--signal SIGINT]
 *        [--cli action/cli.ts] (another checkout's CLI measures the code before a change)
 * Prints the seconds from the signal to the process's exit, its exit code, the eval runs that
 * started after the signal, and the experiments recorded.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { branchLog, makeRepo, tempDir } from "../test/helpers/repo.ts";

const { values: args } = parseArgs({
  options: {
    "eval-seconds": { type: "string", default: "3" },
    after: { type: "string", default: "1" },
    signal: { type: "string", default: "SIGINT" },
    cli: { type: "string", default: join(import.meta.dirname, "..", "action", "cli.ts") },
  },
});
const evalMs = Number(args["eval-seconds"]) * 1000;
const afterMs = Number(args.after) * 1000;

const EVAL = `
const fs = require("node:fs");
const x = Number(/X = (\\d+)/.exec(fs.readFileSync("x.txt", "utf8"))[1]);
fs.appendFileSync(process.env.STATE + "/starts", x + " " + Date.now() + "\\n");
setTimeout(() => console.log("score: " + (x + (Math.random() - 0.5) * 0.02)), Number(process.env.EVAL_MS));
`;
const AGENT = `
const fs = require("node:fs");
const n = Number(process.env.AUTOEXP_ITERATION) + 1;
fs.writeFileSync("x.txt", "X = " + n + "\\n");
fs.writeFileSync(process.env.AUTOEXP_DESCRIPTION_FILE, "X to " + n);
`;

const state = tempDir("autoexp-bench-interrupt-");
const repo = makeRepo({
  "x.txt": "X = 1\n",
  "eval.js": EVAL,
  "agent.js": AGENT,
  "autoexp.yml": `name: stop
target: [x.txt]
frozen: [eval.js]
eval:
  command: node eval.js
  timeout: 10m
  metrics: { score: { goal: maximize } }
  pass_env: [STATE, EVAL_MS]
isolation: { shared: [${JSON.stringify(state)}] }
agent: { use: command, run: [node, agent.js] }
decide: { baseline_runs: 2 }
budget: { experiments: 10 }
`,
});

const starts = (): { x: number; at: number }[] => {
  const file = join(state, "starts");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .map((l) => l.split(" ").map(Number))
    .map(([x, at]) => ({ x: x!, at: at! }));
};

const child = spawn(process.execPath, [resolve(args.cli), "run", "--tag", "b"], {
  cwd: repo,
  env: { ...process.env, STATE: state, EVAL_MS: String(evalMs) },
  stdio: ["ignore", "ignore", "pipe"],
});
let stderr = "";
child.stderr.on("data", (c) => {
  stderr += c;
});
let signalledAt = 0;
const watch = setInterval(() => {
  const second = starts().find((s) => s.x === 3);
  if (!second || Date.now() - second.at < afterMs) return;
  clearInterval(watch);
  signalledAt = Date.now();
  child.kill(args.signal as NodeJS.Signals);
}, 20);
const code = await new Promise<number | null>((done) => child.on("close", done));
clearInterval(watch);
const seconds = (Date.now() - signalledAt) / 1000;
const later = starts().filter((s) => s.at > signalledAt).length;
const recorded = branchLog(repo, "b").filter((l) => l.type === "result").length - 1;
console.log(
  `${args.signal} ${args.after}s into #2's first run of a ${args["eval-seconds"]}s eval: exit ${code} after ${seconds.toFixed(1)}s; eval runs started after the signal: ${later}; experiments recorded: ${recorded}`,
);
const said = /autoexp: stopping[^\n]*/.exec(stderr)?.[0];
if (said) console.log(`on screen: ${said}`);
for (const dir of [repo, state]) rmSync(dir, { recursive: true, force: true });

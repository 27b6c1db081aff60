import { join } from "node:path";
import { parseConfigText } from "../../action/config/parse-config-text.ts";
import { makeRepo, tempDir, writeFiles } from "./repo.ts";

// A deterministic eval (loss = the truth in candidate.txt) but for code that lies: each "noop"
// line the agent added prints a loss 1 lower in LIE_PERCENT% of runs (a seeded draw per run,
// from a counter kept outside the slot), and the true loss otherwise. Lines add up, so a kept
// liar's successor lies by more: one lucky run of each was a keep before two runs had to agree.
export const LYING_EVAL = `
const fs = require("node:fs");
const text = fs.readFileSync("candidate.txt", "utf8");
const truth = Number(/truth: (\\S+)/.exec(text)[1]);
const lies = (text.match(/^noop/gm) || []).length;
const file = process.env.COUNTER;
const n = Number(fs.existsSync(file) ? fs.readFileSync(file, "utf8") : 0);
fs.writeFileSync(file, String(n + 1));
let x = (Math.imul(Number(process.env.SEED) + 1, 2654435761) ^ Math.imul(n + 1, 40503)) >>> 0;
x = Math.imul(x ^ (x >>> 16), 2246822507) >>> 0;
x = Math.imul(x ^ (x >>> 13), 3266489909) >>> 0;
const u = ((x ^ (x >>> 16)) >>> 0) / 4294967296;
const lie = lies > 0 && u < Number(process.env.LIE_PERCENT) / 100 ? lies : 0;
console.log("loss: " + (truth - lie));
`;

// The agent plays a plan: "noop" (adds a lying line, changes nothing real) or a change in truth.
const AGENT = `
const fs = require("node:fs");
const plan = JSON.parse(process.env.PLAN);
const step = plan[Number(process.env.AUTOEXP_ITERATION) - 1];
let text = fs.readFileSync("candidate.txt", "utf8");
if (step === "noop") text += "noop " + process.env.AUTOEXP_ITERATION + "\\n";
else text = text.replace(/truth: (\\S+)/, (_, t) => "truth: " + (Number(t) + step));
fs.writeFileSync("candidate.txt", text);
fs.writeFileSync(process.env.AUTOEXP_DESCRIPTION_FILE, step === "noop" ? "a change that does nothing" : "truth " + step);
`;

/** A repo, config and env for a night of `plan` on the lying eval. */
export function lyingNight(
  plan: (number | "noop")[],
  seed: number,
  liePercent = 30,
  decide = "{}",
) {
  const repo = makeRepo({ "candidate.txt": "truth: 10\n", "eval.js": LYING_EVAL });
  const dir = tempDir();
  writeFiles(dir, { "agent.js": AGENT });
  const parsed = parseConfigText(`
name: lying
target: [candidate.txt]
frozen: [eval.js]
eval:
  command: node eval.js
  metrics:
    loss: { goal: minimize }
  pass_env: [COUNTER, SEED, LIE_PERCENT]
# The eval keeps its run counter outside the slot (the seeded draws follow it): declared writable.
isolation: { shared: [${JSON.stringify(dir)}] }
decide: ${decide}
# The draws follow the global order of runs (a counter): serial, so that order is fixed.
pipeline: false
agent: { use: command, run: [node, ${JSON.stringify(join(dir, "agent.js"))}], pass_env: [PLAN], writable: [${JSON.stringify(dir)}] }
budget: { experiments: ${plan.length} }
`);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const env = {
    ...process.env,
    PLAN: JSON.stringify(plan),
    COUNTER: join(dir, "counter"),
    SEED: String(seed),
    LIE_PERCENT: String(liePercent),
  };
  return { repo, config: parsed.config, env };
}

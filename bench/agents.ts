// bench/agents: what an LLM agent costs autoexp itself, model latency excluded, with a ledger of
// 1,000 experiments: building the context (reading program.md, the target file and notes from
// disk) and parsing, checking and applying the model's edit (writing the file). Then the corpus of
// model answers: how many are applied correctly, rejected with the right reason, or mishandled.
//   node bench/agents.ts [rounds=200]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ProposeContext } from "../action/agents/agent.ts";
import { applyEdits } from "../action/agents/edits/apply-edits.ts";
import type { EditScope } from "../action/agents/edits/edit.ts";
import { parseAnswer } from "../action/agents/edits/parse-answer.ts";
import { promptFor, readTargets } from "../action/agents/prompt.ts";
import { parseConfigText } from "../action/config/parse-config-text.ts";
import { loadCorpus, runCase } from "../test/helpers/answers.ts";
import { syntheticLedger, syntheticScript } from "../test/helpers/synthetic-ledger.ts";

const ROUNDS = Number(process.argv[2] ?? 200);
const HISTORY = 1000;

const dir = mkdtempSync(join(tmpdir(), "autoexp-bench-agents-"));
const script = syntheticScript(400);
writeFileSync(join(dir, "train.py"), script);
writeFileSync(
  join(dir, "program.md"),
  `# Research direction\n${"Lower val_bpb within the fixed time budget. ".repeat(60)}\n`,
);
const parsed = parseConfigText(
  "name: bench\ntarget: [train.py]\neval: { command: python train.py, metrics: { val_bpb: { goal: minimize } } }\nagent: { use: openai, model: m }\n",
);
if (!parsed.ok) throw new Error("config");
const { header, results } = syntheticLedger(HISTORY);
const notes = Array.from(
  { length: 120 },
  (_, i) => `- #${i * 8}: an observation worth keeping ${i}`,
).join("\n");
const context: ProposeContext = {
  worktree: dir,
  iteration: HISTORY + 1,
  config: parsed.config,
  metric: "val_bpb",
  goal: "minimize",
  incumbentScore: 0.97,
  header,
  history: results,
  targetFiles: ["train.py"],
  mayCreate: () => false,
  scratchDir: dir,
  env: {},
  redact: (t) => t,
  notes,
  budget: { experiments: 20, wallClockMs: 3_600_000, costUsd: 5 },
};
const answer = [
  "DESCRIPTION: lower the learning rate and widen block 40",
  "NOTE: block widths above 2.0 crashed before",
  "",
  "train.py",
  "```python",
  "<<<<<<< SEARCH",
  "LEARNING_RATE = 3e-4",
  "=======",
  "LEARNING_RATE = 2e-4",
  ">>>>>>> REPLACE",
  "<<<<<<< SEARCH",
  "def block_40(x):",
  "    h = x * 41.0 + 0.5",
  "=======",
  "def block_40(x):",
  "    h = x * 43.0 + 0.5",
  ">>>>>>> REPLACE",
  "```",
].join("\n");

const contextMs: number[] = [];
const editMs: number[] = [];
const totalMs: number[] = [];
let promptChars = 0;
for (let i = 0; i < ROUNDS; i++) {
  writeFileSync(join(dir, "train.py"), script);
  const t0 = performance.now();
  const files = await readTargets(context);
  const prompt = await promptFor(context, { kind: "edits", wholeFileMax: 8000 }, 60_000, files);
  const t1 = performance.now();
  const scope: EditScope = { files: ["train.py"], mayCreate: () => false, wholeFileMax: 8000 };
  const edits = parseAnswer(answer, scope);
  if (!edits.ok) throw new Error(edits.reason);
  const texts = new Map(files.map((f) => [f.path, f.text]));
  const applied = applyEdits(edits.edits, (p) => texts.get(p) ?? null, scope);
  if (!applied.ok) throw new Error(applied.reason);
  for (const [path, text] of applied.files) writeFileSync(join(dir, path), text);
  const t2 = performance.now();
  contextMs.push(t1 - t0);
  editMs.push(t2 - t1);
  totalMs.push(t2 - t0);
  promptChars = prompt.length;
}
const after = readFileSync(join(dir, "train.py"), "utf8");
if (!after.includes("LEARNING_RATE = 2e-4") || !after.includes("x * 43.0"))
  throw new Error("edit not applied");
rmSync(dir, { recursive: true, force: true });

const { manifest, base, scope } = loadCorpus();
const tally = { applied: 0, rejected: 0, wrong: [] as string[] };
const expectApplied = manifest.cases.filter((c) => c.expect === "applied").length;
for (const c of manifest.cases) {
  const outcome = runCase(c, base, scope);
  if (outcome.kind === "applied-correctly") tally.applied++;
  else if (outcome.kind === "rejected-correctly") tally.rejected++;
  else tally.wrong.push(`${c.name}: ${outcome.why}`);
}

const q = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.floor(p * (xs.length - 1))]!;
const ms = (x: number) => `${x.toFixed(2)} ms`;
console.log(
  `bench/agents: ${ROUNDS} proposals against a ledger of ${HISTORY} experiments, a ${script.split("\n").length}-line target, ${notes.length} characters of notes`,
);
console.log(`  prompt size               ${promptChars} characters (limit 60000)`);
console.log(
  `  build the context         median ${ms(q(contextMs, 0.5))}, p95 ${ms(q(contextMs, 0.95))}`,
);
console.log(`  parse, check, apply edit  median ${ms(q(editMs, 0.5))}, p95 ${ms(q(editMs, 0.95))}`);
console.log(
  `  both, per experiment      median ${ms(q(totalMs, 0.5))}, p95 ${ms(q(totalMs, 0.95))}  (target: median < 20 ms)`,
);
console.log(`corpus of model answers: ${manifest.cases.length}`);
console.log(
  `  applied correctly         ${tally.applied} of ${expectApplied} that should apply (${((100 * tally.applied) / manifest.cases.length).toFixed(0)}% of all)`,
);
console.log(
  `  rejected, right reason    ${tally.rejected} of ${manifest.cases.length - expectApplied} that must be rejected (${((100 * tally.rejected) / manifest.cases.length).toFixed(0)}% of all)`,
);
console.log(
  `  applied wrongly or wrong reason: ${tally.wrong.length}${tally.wrong.length ? `\n    ${tally.wrong.join("\n    ")}` : ""}`,
);
if (tally.wrong.length > 0) process.exitCode = 1;

// bench/security: the security suite's attacks (test/security/) against the real CLI, in both
// isolation modes, judged by outcomes; prints a table and the figures of issues 12 and 22 by
// kind (kept with a wrong score, record damaged, key leaked, planted, crash, hang, not run: an
// attack whose witness sent no beacon proved nothing). --verbose adds each finding and beacon.
//   node bench/security.ts [--mode sandbox|none] [--only a,b] [--parallel N] [--verbose]
// AUTOEXP_SECURITY_CLI=path/to/cli.ts (or dist/cli.js) attacks another build of the CLI.
import { parseArgs } from "node:util";
import { probeSandbox } from "../action/sandbox/probe-sandbox.ts";
import { describeFindings, KIND_LABELS, shortKinds } from "../test/helpers/security-report.ts";
import { runScenario, type ScenarioRun } from "../test/helpers/security-run.ts";
import {
  FINDING_KINDS,
  type FindingKind,
  type Isolation,
  kindsOf,
  noFindings,
} from "../test/helpers/security-types.ts";
import { asExpected, expectedKinds } from "../test/security/expected.ts";
import { SCENARIOS } from "../test/security/scenarios/index.ts";

const { values } = parseArgs({
  options: {
    mode: { type: "string" },
    only: { type: "string" },
    parallel: { type: "string", default: "3" },
    verbose: { type: "boolean", default: false },
  },
});
const probe = await probeSandbox();
if (!probe.ok) {
  console.error(`bench/security needs bubblewrap: ${probe.why}. ${probe.install}`);
  process.exit(1);
}
const modes: Isolation[] = values.mode ? [values.mode as Isolation] : ["sandbox", "none"];
const only = values.only?.split(",");
const scenarios = SCENARIOS.filter((s) => !only || only.includes(s.name));
const started = performance.now();
const results = new Map<string, ScenarioRun>();
const jobs = modes.flatMap((mode) => scenarios.map((scenario) => ({ mode, scenario })));
let next = 0;
await Promise.all(
  Array.from({ length: Number(values.parallel) }, async () => {
    while (next < jobs.length) {
      const { mode, scenario } = jobs[next++]!;
      // A scenario the judge cannot judge (its reference did not reproduce...) is shown, not fatal.
      const run = await runScenario(scenario, mode, { bwrap: probe.bwrap }).catch(
        (error: Error): ScenarioRun => ({
          scenario,
          mode,
          findings: { ...noFindings(), crashes: [`the judge failed: ${error.message}`] },
          beacons: [],
          seconds: 0,
        }),
      );
      results.set(`${mode}:${scenario.name}`, run);
      process.stderr.write(".");
    }
  }),
);
process.stderr.write("\n");

const cell = (mode: Isolation, name: string) => {
  const run = results.get(`${mode}:${name}`)!;
  if (run.skipped) return `skipped (${run.skipped})`;
  const got = kindsOf(run.findings);
  const want = expectedKinds(mode, name);
  const same = asExpected(mode, name, got);
  const label = (kinds: readonly FindingKind[]) =>
    run.scenario.kind === "control" && kinds.length === 0 ? "kept" : shortKinds(kinds);
  return `${label(got)}${same ? "" : ` (expected ${label(want)})`}`;
};
const width = Math.max(...scenarios.map((s) => s.name.length)) + 2;
console.log(
  `\n${"scenario".padEnd(width)}${modes.map((m) => `isolation: ${m}`.padEnd(44)).join("")}`,
);
for (const s of scenarios)
  console.log(`${s.name.padEnd(width)}${modes.map((m) => cell(m, s.name).padEnd(44)).join("")}`);

console.log("\nfigure (attacks that got through, per kind; target 0 under sandbox):");
for (const mode of modes) {
  const runs = scenarios.map((s) => results.get(`${mode}:${s.name}`)!).filter((r) => !r.skipped);
  const attacks = runs.filter((r) => r.scenario.kind === "attack");
  const controls = runs.filter((r) => r.scenario.kind === "control");
  const counts = FINDING_KINDS.map(
    (k) => `${KIND_LABELS[k]} ${attacks.filter((r) => r.findings[k].length > 0).length}`,
  );
  const kept = controls.filter((r) => kindsOf(r.findings).length === 0).length;
  const matching = runs.filter((r) =>
    asExpected(mode, r.scenario.name, kindsOf(r.findings)),
  ).length;
  console.log(
    `  ${mode}: attacks tried ${attacks.length}, ${counts.join(", ")}; controls kept ${kept}/${controls.length}; as expected ${matching}/${runs.length}`,
  );
}
if (values.verbose) {
  for (const mode of modes)
    for (const s of scenarios) {
      const run = results.get(`${mode}:${s.name}`)!;
      const beacons = run.beacons.map((b) => `  beacon ${b}`).join("\n") || "  (no beacon)";
      console.log(
        `\n[${mode}] ${s.name}: ${s.what}\n${describeFindings(run.findings)}\n${beacons}`,
      );
    }
}
console.log(`\n${jobs.length} runs in ${((performance.now() - started) / 1000).toFixed(0)} s`);

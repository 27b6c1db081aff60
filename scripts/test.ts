// `npm test`: everything CI runs, in one command. Lint, types, the JSON Schema and dist/ must be
// current, then the vitest suite. Ends with the plain line CI counts: "N passed, N failed".
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const node = process.execPath;
const checks: [string, string[]][] = [
  ["lint", [join("node_modules", "@biomejs", "biome", "bin", "biome"), "check", "."]],
  ["types", [join("node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"]],
  ["cycles", ["scripts/check-cycles.ts"]],
  ["schema", ["scripts/write-schema.ts", "--check"]],
  ["dist", ["scripts/build.ts", "--check"]],
];
let failed = 0;
for (const [name, args] of checks) {
  const run = spawnSync(node, args, { stdio: "inherit" });
  if (run.status !== 0) {
    console.error(`check failed: ${name}`);
    failed++;
  }
}

const report = join(mkdtempSync(join(tmpdir(), "autoexp-vitest-")), "report.json");
const vitest = join("node_modules", "vitest", "vitest.mjs");
const run = spawnSync(
  node,
  [
    vitest,
    "run",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${report}`,
    ...process.argv.slice(2),
  ],
  {
    stdio: "inherit",
  },
);
let passed = 0;
try {
  const json = JSON.parse(readFileSync(report, "utf8")) as {
    numPassedTests: number;
    numFailedTests: number;
  };
  passed = json.numPassedTests;
  failed += json.numFailedTests;
} catch {
  failed++;
}
if (run.status !== 0 && failed === 0) failed++;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);

// The security suite for one isolation mode: every scenario against the real CLI, each judged by
// its outcomes and held to test/security/expected.ts. Skipped, and said so, without bubblewrap
// (the judge reproduces scores in a sandbox, and the CLI runs in a private pid namespace).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findProgram, probeSandbox } from "../../action/sandbox/probe-sandbox.ts";
import { asExpected, expectedKinds } from "../security/expected.ts";
import { SCENARIOS } from "../security/scenarios/index.ts";
import { describeFindings, shortKinds } from "./security-report.ts";
import { runScenario, wrapperArgs } from "./security-run.ts";
import { type Isolation, kindsOf } from "./security-types.ts";

/** At most this many scenarios at once per mode: each is a few node and git processes. */
const PARALLEL = 3;

export async function describeSecuritySuite(mode: Isolation): Promise<void> {
  const probe = await probeSandbox();
  const skipped = probe.ok ? "" : ` (SKIPPED: ${probe.why}. To run it: ${probe.install})`;
  if (!probe.ok) console.warn(`security suite (${mode}) skipped: ${probe.why}. ${probe.install}`);
  const bwrap = probe.ok ? probe.bwrap : "bwrap";
  const slots = semaphore(PARALLEL);

  describe.skipIf(!probe.ok)(
    `the attacks of issues 12 and 22 under isolation: ${mode}${skipped}`,
    () => {
      it("runs the CLI where it can write the run's folder but not the checkout the suite runs from", () => {
        const root = mkdtempSync(join(tmpdir(), "autoexp-sec-"));
        const outside = join(import.meta.dirname, "..", "..", `.security-probe-${process.pid}`);
        try {
          const run = spawnSync(bwrap, [
            ...wrapperArgs(root),
            ...["/bin/sh", "-c", `touch inside; touch '${outside}' 2>/dev/null || echo refused`],
          ]);
          expect(String(run.stdout)).toBe("refused\n");
          expect(existsSync(outside)).toBe(false);
          expect(existsSync(join(root, "inside"))).toBe(true);
        } finally {
          rmSync(root, { recursive: true, force: true });
        }
      });

      // Scenarios that wait out a timeout start first, so that their waits overlap the others.
      const ordered = [...SCENARIOS].sort((a, b) => Number(!!b.timeouts) - Number(!!a.timeouts));
      for (const scenario of ordered) {
        const expected = expectedKinds(mode, scenario.name);
        const missing =
          scenario.requires && !findProgram(scenario.requires, process.env.PATH ?? "");
        const title = `${scenario.name}: ${scenario.what} -> ${scenario.kind === "control" ? "kept" : shortKinds(expected)}`;
        (missing ? it.skip : it.concurrent)(
          missing ? `${title} (SKIPPED: ${scenario.requires} not found)` : title,
          async () => {
            const run = await slots(() => runScenario(scenario, mode, { bwrap }));
            const found = kindsOf(run.findings);
            const witness = run.beacons.map((b) => `  beacon ${b}`).join("\n") || "  (no beacon)";
            if (!asExpected(mode, scenario.name, found))
              expect(found, `${describeFindings(run.findings)}\n${witness}`).toEqual([...expected]);
          },
          240_000,
        );
      }
    },
  );
}

function semaphore(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (active >= limit) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

// isolation.limits through the real isolation: a fork bomb and a memory hog in a sandboxed eval
// are stopped by the kernel where autoexp can make a cgroup (root here), and the host is fine.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../action/config/parse-config-text.ts";
import { resolveIsolation } from "../../action/engine/isolation.ts";
import { createLimitGroups } from "../../action/sandbox/limits.ts";
import { probeSandbox } from "../../action/sandbox/probe-sandbox.ts";
import { parseBytes } from "../../action/util/bytes.ts";
import { tempDir } from "../helpers/repo.ts";

const probe = await probeSandbox();
const groups = createLimitGroups({ processes: 64 });
const canLimit = probe.ok && groups.how !== null;
const SKIPPED = canLimit
  ? ""
  : ` (SKIPPED: ${probe.ok ? groups.why : probe.why}; run as root, or where cgroups are delegated)`;

function isolationFor(limits: string) {
  const parsed = parseConfigText(`
name: limits
target: [a.js]
eval: { command: node e.js, metrics: { s: { goal: minimize } } }
isolation: { mode: sandbox, limits: ${limits} }
`);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.config;
}

function runIn(
  isolation: Awaited<ReturnType<typeof resolveIsolation>>,
  dir: string,
  script: string,
) {
  const launched = isolation.launch(["/bin/sh", "-c", script], dir, { PATH: process.env.PATH }, []);
  const argv = launched.command as string[];
  return spawnSync(argv[0]!, argv.slice(1), {
    env: launched.env,
    encoding: "utf8",
    timeout: 60_000,
  });
}

describe("parseBytes", () => {
  it.each([
    ["8g", 8 * 1024 ** 3],
    ["512m", 512 * 1024 ** 2],
    ["2GiB", 2 * 1024 ** 3],
    ["1.5k", 1536],
    [4096, 4096],
    ["lots", undefined],
    ["-1g", undefined],
    [0, undefined],
  ])("%s -> %s", (input, bytes) => {
    expect(parseBytes(input)).toBe(bytes);
  });
});

describe.skipIf(!canLimit)(`isolation.limits in the sandbox${SKIPPED}`, () => {
  it("ends a fork bomb at isolation.limits.processes; the next run in the slot starts normally", async () => {
    const repo = tempDir();
    const slot = join(repo, ".git", "autoexp", "t", "slots", "0", "tree");
    mkdirSync(slot, { recursive: true });
    const isolation = await resolveIsolation(
      isolationFor("{ processes: 64 }"),
      repo,
      join(repo, ".git"),
      process.env,
    );
    expect(isolation.limits).toMatch(/at most 64 processes/);
    // The witness: how many sleeps were started before fork failed, counted inside.
    const bomb = runIn(
      isolation,
      slot,
      // The bomb's shell dies at the first fork refused; the outer one reads its count with
      // builtins only (no fork is left to it until the namespace ends).
      "sh -c 'n=0; while [ $n -lt 2000 ]; do sleep 30 & n=$((n+1)); echo $n > /tmp/count; done' 2>/dev/null; read c < /tmp/count; echo started=$c",
    );
    const started = Number(/started=(\d+)/.exec(bomb.stdout)?.[1]);
    expect(started, bomb.stdout + bomb.stderr).toBeGreaterThan(10);
    expect(started).toBeLessThan(64);
    const next = runIn(isolation, slot, "echo fine");
    expect(next.stdout.trim()).toBe("fine");
  }, 90_000);

  it("kills an eval past isolation.limits.memory, and only it", async () => {
    const repo = tempDir();
    const slot = join(repo, ".git", "autoexp", "t", "slots", "0", "tree");
    mkdirSync(slot, { recursive: true });
    const isolation = await resolveIsolation(
      isolationFor("{ memory: 64m }"),
      repo,
      join(repo, ".git"),
      process.env,
    );
    const hog = runIn(
      isolation,
      slot,
      `node -e 'const a = []; for (let i = 0; i < 40; i++) { a.push(Buffer.alloc(16 * 1024 * 1024, 1)); console.log("allocated", (i + 1) * 16); }'`,
    );
    const last = Number(/allocated (\d+)\s*$/.exec(hog.stdout)?.[1] ?? 0);
    expect(last, hog.stdout.slice(-200) + hog.stderr.slice(-300)).toBeLessThan(640);
    expect(hog.status === 0).toBe(false);
    expect(readFileSync("/proc/self/status", "utf8")).toContain("VmRSS");
  }, 90_000);
});

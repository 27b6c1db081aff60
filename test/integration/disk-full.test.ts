// A full disk, made for real (a small tmpfs holding the repository): an eval that fills it in its
// slot, and an agent whose leftovers fill it, cannot stop the night or wedge the tag.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseLog } from "../../action/ledger/log-jsonl.ts";
import { git, runCli, tempDir } from "../helpers/repo.ts";

const mounts: string[] = [];
function smallDisk(mib: number): string | null {
  const dir = mkdtempSync(join(tmpdir(), "autoexp-disk-"));
  const made = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${mib}m`, "tmpfs", dir]);
  if (made.status !== 0) return null;
  mounts.push(dir);
  return dir;
}
afterAll(() => {
  for (const m of mounts) {
    spawnSync("umount", ["-l", m]);
    rmSync(m, { recursive: true, force: true });
  }
});

const canMount =
  process.getuid?.() === 0 &&
  (() => {
    const d = smallDisk(1);
    return d !== null;
  })();

const EVAL = `
const fs = require("node:fs");
// Reports, then fills the disk it runs on (its log too); the witness is a file it leaves.
console.log("score: " + fs.readFileSync("value.txt", "utf8").trim());
const chunk = Buffer.alloc(1024 * 1024, 7);
let mib = 0;
try { for (; mib < 512; mib++) fs.appendFileSync("fill.bin", chunk); } catch (e) { fs.appendFileSync(process.env.WITNESS, e.code + " after " + mib + " MiB\\n"); }
`;

describe.skipIf(!canMount)(
  `a full disk${canMount ? "" : " (SKIPPED: only root can mount the small tmpfs it needs)"}`,
  () => {
    it("an eval that fills the disk in its slot: every experiment is still recorded", () => {
      const disk = smallDisk(64)!;
      const repo = join(disk, "repo");
      mkdirSync(repo);
      const agentDir = tempDir();
      const witness = join(agentDir, "witness.txt");
      writeFileSync(
        join(agentDir, "agent.sh"),
        'v=$((10 - AUTOEXP_ITERATION)); echo $v > value.txt; echo "value $v" > "$AUTOEXP_DESCRIPTION_FILE"\n',
      );
      writeFileSync(join(repo, "value.txt"), "10\n");
      writeFileSync(join(repo, "eval.js"), EVAL);
      writeFileSync(
        join(repo, "autoexp.yml"),
        `name: disk
target: [value.txt]
frozen: [eval.js]
eval: { command: node eval.js, timeout: 60s, metrics: { score: { goal: minimize } }, pass_env: [WITNESS] }
decide: { min_delta: 0, baseline_runs: 1 }
agent: { use: command, run: [sh, ${JSON.stringify(join(agentDir, "agent.sh"))}] }
isolation: { mode: sandbox, shared: [${JSON.stringify(agentDir)}] }
pipeline: false
`,
      );
      execFileSync("git", ["init", "-q"], { cwd: repo });
      git(repo, "add", "-A");
      git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "start");
      const run = runCli(repo, ["run", "--tag", "d", "--experiments", "3"], { WITNESS: witness });
      expect(run.code, run.stderr).toBe(0);
      // The witness: every run (baseline and three candidates) filled the disk.
      expect(readFileSync(witness, "utf8").trim().split("\n")).toEqual(
        Array(4).fill(expect.stringMatching(/^ENOSPC after \d+ MiB$/)),
      );
      const log = parseLog(git(repo, "show", "autoexp/d:.autoexp/d/log.jsonl"));
      expect(
        log.results.map((r) => r.status),
        JSON.stringify(log.results.map((r) => r.reason)),
      ).toEqual(["baseline", "keep", "keep", "keep"]);
      // Nothing was left behind: a second batch starts and records too.
      const again = runCli(repo, ["run", "--tag", "d", "--experiments", "1"], { WITNESS: witness });
      expect(again.code, again.stderr).toBe(0);
    }, 120_000);

    it("an agent whose leftovers filled the disk: the run stops, and the next resumes by discarding them", () => {
      const disk = smallDisk(64)!;
      const repo = join(disk, "repo");
      mkdirSync(repo);
      const agentDir = tempDir();
      // The second call leaves a file that fills the disk in its scratch folder (and in its checkout).
      writeFileSync(
        join(agentDir, "agent.sh"),
        `v=$((10 - AUTOEXP_ITERATION)); echo $v > value.txt; echo "value $v" > "$AUTOEXP_DESCRIPTION_FILE"
if [ "$AUTOEXP_ITERATION" = 2 ] && [ ! -e ${JSON.stringify(join(agentDir, "filled"))} ]; then
  head -c 200000000 /dev/zero > "$(dirname "$AUTOEXP_PROMPT_FILE")/leftover.bin" 2>/dev/null
  echo "filled: $(df -k . | tail -1)" >> ${JSON.stringify(join(agentDir, "filled"))}
fi
`,
      );
      writeFileSync(join(repo, "value.txt"), "10\n");
      writeFileSync(
        join(repo, "eval.js"),
        'console.log("score: " + require("node:fs").readFileSync("value.txt", "utf8").trim());\n',
      );
      writeFileSync(
        join(repo, "autoexp.yml"),
        `name: disk
target: [value.txt]
frozen: [eval.js]
eval: { command: node eval.js, timeout: 60s, metrics: { score: { goal: minimize } } }
decide: { min_delta: 0, baseline_runs: 1 }
agent: { use: command, run: [sh, ${JSON.stringify(join(agentDir, "agent.sh"))}], writable: [${JSON.stringify(agentDir)}] }
isolation: sandbox
pipeline: false
`,
      );
      execFileSync("git", ["init", "-q"], { cwd: repo });
      git(repo, "add", "-A");
      git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "start");
      const first = runCli(repo, ["run", "--tag", "d", "--experiments", "3"]);
      // The witness: the agent did fill the disk.
      expect(readFileSync(join(agentDir, "filled"), "utf8")).toMatch(/ 100% /);
      const second = runCli(repo, ["run", "--tag", "d", "--experiments", "1"]);
      expect(second.code, `${first.stderr}\n---\n${second.stderr}`).toBe(0);
      const log = parseLog(git(repo, "show", "autoexp/d:.autoexp/d/log.jsonl"));
      const rows = log.results;
      expect(rows.map((r) => r.iteration)).toEqual(rows.map((_, i) => i));
      expect(rows.length).toBeGreaterThanOrEqual(3);
      expect(rows.at(-1)!.status).toBe("keep");
    }, 120_000);
  },
);

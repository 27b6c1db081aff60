// A hostile `command` agent, run by the real engine in the sandbox every CLI agent gets: each
// attack it makes is written to a witness file first (proof that it ran), and its outcome is
// judged from outside, on the host's files, refs and processes.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkEval } from "../../action/cli/check.ts";
import { parseConfigText } from "../../action/config/parse-config-text.ts";
import { runBatch } from "../../action/engine/run-batch.ts";
import { probeSandbox } from "../../action/sandbox/probe-sandbox.ts";
import { branchLog, git, makeRepo, tempDir } from "../helpers/repo.ts";

const probe = await probeSandbox();
const SKIPPED = probe.ok ? "" : ` (SKIPPED: ${probe.why}. To run them: ${probe.install})`;

const EVAL = `console.log("score: " + require("node:fs").readFileSync("value.txt", "utf8").trim());\n`;
const WITHHELD = "sk-withheld-from-the-agent-0123456789";
const OWN = "agent-own-key-abcdefghijklmnop";

const decoys: number[] = [];
afterAll(() => {
  for (const pid of decoys) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  }
});

/** The attacks, each announced in the witness before it is made, with its result after. */
function hostileAgent(repo: string, home: string, decoy: number): string {
  return `#!/bin/sh
W="$(dirname "$AUTOEXP_PROMPT_FILE")/witness.txt"
say() { echo "$1" >> "$W"; }
say "ran: uid=$(id -u) pid=$$"
umount -l /proc 2>/dev/null; say "umount-proc: $?"
found=no
for f in /proc/[0-9]*/environ; do grep -q ${WITHHELD} "$f" 2>/dev/null && found=yes; done
say "environ-scan: $(ls -d /proc/[0-9]* | wc -l) processes, withheld key found: $found"
env | grep -q ${WITHHELD} && say "env: withheld key present" || say "env: withheld key absent"
env | grep -q ${OWN} && say "env: own key present" || say "env: own key absent"
cat ${repo}/.env > /dev/null 2>&1 && say "dotenv: read" || say "dotenv: unreadable"
cat ${repo}/.git/HEAD > /dev/null 2>&1 && say "git-head: read" || say "git-head: unreadable"
ls ${home}/.local > /dev/null 2>&1 && say "declared-local: visible" || say "declared-local: invisible"
cat ${home}/.local/state/autoexp/key > /dev/null 2>&1 && say "signing-key: read" || say "signing-key: unreadable"
mkdir -p ${repo}/.git/refs/heads/autoexp 2>/dev/null
echo 0000000000000000000000000000000000000000 > ${repo}/.git/refs/heads/autoexp/t 2>/dev/null; say "move-branch: $?"
mkdir -p ${repo}/.git/hooks 2>/dev/null
printf '#!/bin/sh\\necho planted\\n' > ${repo}/.git/hooks/post-commit 2>/dev/null; say "plant-hook: $?"
echo "isolation: none" >> ${repo}/autoexp.yml 2>/dev/null; say "append-config: $?"
mkdir -p ${home}/.local/lib 2>/dev/null
echo "import os" > ${home}/.local/lib/planted.pth 2>/dev/null; say "plant-pth: $?"
echo 1 > ../agent.pid 2>/dev/null; say "write-pid-file: $?"
kill -9 ${decoy} 2>/dev/null; say "kill-decoy: $?"
touch /etc/autoexp-agent-escape 2>/dev/null; say "write-etc: $?"
git rev-parse HEAD > /dev/null 2>&1 && git diff --quiet HEAD && say "own-git: works" || say "own-git: broken"
store="$(cat .git/objects/info/alternates)"
echo poison >> "$(ls "$store"/pack/*.pack | head -1)" 2>/dev/null; say "poison-store: $?"
echo 7 > value.txt
echo "lower the value" > "$AUTOEXP_DESCRIPTION_FILE"
say done
`;
}

describe.skipIf(!probe.ok)(`a CLI agent in the sandbox${SKIPPED}`, () => {
  it("can change only its checkout: no host /proc, no withheld key, no .git, no working tree, no HOME, no other process", async () => {
    const repo = makeRepo({ "value.txt": "10\n", "eval.js": EVAL, "autoexp.yml": "# config\n" });
    writeFileSync(join(repo, ".env"), `OPENAI_API_KEY=${WITHHELD}\n`);
    const home = tempDir();
    mkdirSync(join(home, ".local", "lib"), { recursive: true });
    const outside = tempDir();
    const decoy = spawn("sleep", ["600"], { detached: true, stdio: "ignore" });
    decoys.push(decoy.pid!);
    const script = join(outside, "agent.sh");
    writeFileSync(script, hostileAgent(repo, home, decoy.pid!), { mode: 0o755 });
    const parsed = parseConfigText(`
name: agent-box
target: [value.txt]
frozen: [eval.js]
eval: { command: node eval.js, timeout: 20s, metrics: { score: { goal: minimize } } }
decide: { min_delta: 0, baseline_runs: 1 }
# ~/.local declared (as a user might, for a tool): autoexp's key under ~/.local/state stays covered.
agent: { use: command, run: [/bin/sh, ${JSON.stringify(script)}], secrets: [AGENT_OWN_KEY], read_only: [${JSON.stringify(join(home, ".local"))}] }
isolation: sandbox
pipeline: false
budget: { experiments: 1 }
`);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const before = git(repo, "rev-parse", "HEAD");
    const result = await runBatch({
      repoDir: repo,
      config: parsed.config,
      tag: "t",
      env: { ...process.env, HOME: home, OPENAI_API_KEY: WITHHELD, AGENT_OWN_KEY: OWN },
    });
    expect(result.stopReason).not.toMatch(/moved|refused/);
    const witness = readFileSync(
      join(repo, ".git", "autoexp", "t", "agents", "0", "scratch", "witness.txt"),
      "utf8",
    );
    if (process.env.SHOW_WITNESS) console.log(witness);
    // Every attack was made (the witness names each), and each failed or landed nowhere real.
    for (const step of [
      "umount-proc",
      "environ-scan",
      "dotenv",
      "move-branch",
      "plant-hook",
      "append-config",
      "plant-pth",
      "write-pid-file",
      "kill-decoy",
      "write-etc",
      "own-git",
      "poison-store",
      "done",
    ])
      expect(witness, step).toContain(`${step}`);
    expect(witness).toMatch(/umount-proc: [1-9]/);
    expect(witness).toContain("withheld key found: no");
    expect(witness).toContain("env: withheld key absent");
    expect(witness).toContain("env: own key present");
    expect(witness).toContain("dotenv: unreadable");
    expect(witness).toContain("git-head: unreadable");
    expect(witness).toContain("declared-local: visible");
    expect(witness).toContain("signing-key: unreadable");
    expect(existsSync(join(home, ".local", "state", "autoexp", "key"))).toBe(true);
    expect(witness).toMatch(/kill-decoy: [1-9]/);
    expect(witness).toMatch(/write-etc: [1-9]/);
    expect(witness).toContain("own-git: works");
    expect(witness).toMatch(/poison-store: [1-9]/);
    // The host, seen from outside.
    expect(() => process.kill(decoy.pid!, 0)).not.toThrow();
    expect(existsSync(join(repo, ".git", "hooks", "post-commit"))).toBe(false);
    expect(readFileSync(join(repo, "autoexp.yml"), "utf8")).toBe("# config\n");
    expect(existsSync(join(home, ".local", "lib", "planted.pth"))).toBe(false);
    expect(existsSync("/etc/autoexp-agent-escape")).toBe(false);
    const pidFile = join(repo, ".git", "autoexp", "t", "agents", "0", "agent.pid");
    if (existsSync(pidFile)) expect(readFileSync(pidFile, "utf8").trim()).not.toBe("1");
    expect(git(repo, "rev-parse", "HEAD")).toBe(before);
    const rows = branchLog(repo, "t").filter((e) => e.type === "result");
    expect(rows.map((r) => r.status)).toEqual(["baseline", "keep"]);
    expect(JSON.stringify(branchLog(repo, "t"))).not.toContain(WITHHELD);
  }, 60_000);

  it("autoexp check names a folder a CLI agent's preset expects that is not there", async () => {
    const repo = makeRepo({ "value.txt": "10\n", "eval.js": EVAL });
    const home = tempDir();
    mkdirSync(join(home, ".codex"));
    const lines: string[] = [];
    const parsed = parseConfigText(`
name: agent-box
target: [value.txt]
eval: { command: node eval.js, timeout: 20s, metrics: { score: { goal: minimize } } }
agent: { use: claude-code, read_only: [~/tools/prompts] }
isolation: sandbox
`);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    await checkEval({
      config: parsed.config,
      dir: repo,
      runs: 1,
      env: { ...process.env, HOME: home },
      out: (l) => lines.push(l),
    });
    const said = lines.filter((l) => l.startsWith("warning: agent"));
    expect(said).toEqual([
      expect.stringMatching(/^warning: agent claude-code: ~\/\.local\/share\/claude not found/),
      expect.stringMatching(/^warning: agent claude-code: ~\/\.claude not found/),
      expect.stringMatching(/^warning: agent claude-code: ~\/\.claude\.json not found/),
      expect.stringMatching(
        /^warning: agent claude-code: ~\/tools\/prompts not found \(agent\.read_only\): create it or remove it/,
      ),
    ]);
  });
});

// Runs one security scenario against the real CLI, in one isolation mode, and judges it.
// The CLI runs inside a private pid namespace (bwrap --unshare-pid over the real root, nothing
// else changed): a forged eval.pid of 1 then makes autoexp kill(-1) only that namespace, and
// whatever an attack leaves running ends with it, not on the machine that runs the suite.
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { findProgram } from "../../action/sandbox/probe-sandbox.ts";
import { agentPrelude, BEACON } from "../security/scenarios/hostile.ts";
import { CLI } from "./repo.ts";
import type { DriverPlan, DriverResult, DriverStep } from "./security-driver.ts";
import { judge } from "./security-judge.ts";
import { createReproducer, LAYOUTS } from "./security-reproduce.ts";
import { rewrittenObjects, safeGit, snapshot } from "./security-snapshot.ts";
import {
  type Findings,
  type Isolation,
  noFindings,
  type Scenario,
  type ScenarioContext,
} from "./security-types.ts";

const DRIVER = join(import.meta.dirname, "security-driver.ts");
const TAG = "sec";
const STEP_TIMEOUT_MS = 60_000;
/** Credentials autoexp's environment holds; ANTHROPIC_API_KEY is the agent's own. */
export const KEY_NAMES = [
  "AWS_SECRET_ACCESS_KEY",
  "HF_TOKEN",
  "HUGGINGFACE_HUB_TOKEN",
  "WANDB_API_KEY",
  "COHERE_API_KEY",
  "GITHUB_TOKEN",
  "OPENAI_API_KEY",
  "ANTHROPIC_API_KEY",
] as const;

export interface ScenarioRun {
  scenario: Scenario;
  mode: Isolation;
  findings: Findings;
  /** What the attack's code reported it tried, and how that went ("step: result"). */
  beacons: string[];
  /** Set when the scenario could not run here (a program it needs is missing). */
  skipped?: string;
  seconds: number;
}

export interface RunOptions {
  bwrap: string;
  /** The CLI to attack: AUTOEXP_SECURITY_CLI, else the suite's (helpers/repo.ts, CLI). */
  cli?: string;
  /** Keep the scenario's folders for a post-mortem (AUTOEXP_SECURITY_KEEP=1). */
  keep?: boolean;
}

export async function runScenario(
  scenario: Scenario,
  mode: Isolation,
  options: RunOptions,
): Promise<ScenarioRun> {
  const started = performance.now();
  if (scenario.requires && !findProgram(scenario.requires, process.env.PATH ?? "")) {
    return {
      scenario,
      mode,
      findings: noFindings(),
      beacons: [],
      skipped: `${scenario.requires} not found`,
      seconds: 0,
    };
  }
  const root = realpathSync(mkdtempSync(join(tmpdir(), "autoexp-sec-")));
  const outside = realpathSync(mkdtempSync("/var/tmp/autoexp-sec-"));
  const sshDir = mkdtempSync("/tmp/ssh-");
  const runId = `${scenario.name}-${mode}-${randomBytes(4).toString("hex")}`;
  const dir = join(root, "scenario");
  let calls = 0;
  const listener = await listen((question) => {
    // The agent's own call count (autoexp's numbering is not ours, and a sandboxed agent can
    // keep no counter of its own across calls and resumes), and what a scenario hands hostile
    // code as if it had found it.
    if (question === "next") return String(++calls);
    if (question === "decoy") return readText(join(dir, "decoy.pid"));
    return "";
  }, runId);
  listener.onBeacon = (step) => {
    // `beacon ready ...` stands for "now is the moment": a step's killWhen file.
    if (step === "ready") writeFileSync(join(dir, "ready"), "");
  };
  const sshToken = { reached: false };
  const ssh = await listenUnix(join(sshDir, `agent.${process.pid}`), (data) => {
    if (data.includes(runId)) sshToken.reached = true;
  });
  try {
    const ctx: ScenarioContext = {
      mode,
      runId,
      root,
      dir,
      repo: join(outside, "repo"),
      home: join(root, "home"),
      exfilPort: listener.port,
      hookMarker: join(dir, "hook-ran.log"),
      outside,
      beaconFile: join(dir, "beacons.log"),
    };
    for (const d of [ctx.dir, ctx.repo, ctx.home]) mkdirSync(d, { recursive: true });
    writeFileSync(join(ctx.home, ".bashrc"), "# the user's own .bashrc\n");
    scenario.prepare?.(ctx);
    const layout = LAYOUTS[scenario.layout];
    const snippets = scenario.agent(ctx);
    makeRepo(ctx.repo, {
      ...layoutFiles(scenario.layout, ctx),
      ...scenario.files?.(ctx),
      "autoexp.yml": configFor(scenario, ctx, agentCommand(ctx, snippets)),
    });
    const base = execFileSync("git", ["rev-parse", "HEAD"], { cwd: ctx.repo, encoding: "utf8" });
    const keys = Object.fromEntries(
      KEY_NAMES.map((n) => [
        n,
        `${n.toLowerCase().replace(/_/g, "")}-${randomBytes(12).toString("hex")}`,
      ]),
    );
    const steps: DriverStep[] = (
      scenario.steps?.(ctx) ?? [{ args: ["--experiments", String(snippets.length)] }]
    ).map((s) => ({
      ...s,
      args: s.user ? [] : ["run", "--tag", TAG, ...s.args],
      timeoutMs: STEP_TIMEOUT_MS,
    }));
    const readOnly = scenario.readOnly?.(ctx) ?? [];
    const dataBefore = readOnly.map((p) => files(p));
    const before = snapshot(ctx.repo, ctx.home);
    // The judge's copy of the repository, taken before anything runs: an object the agent
    // rewrites in place later cannot change what the judge reproduces.
    const reproducer = createReproducer(
      ctx.repo,
      join(root, "repro"),
      options.bwrap,
      layout,
      readOnly,
    );
    const plan: DriverPlan = {
      cli: [process.execPath, options.cli ?? process.env.AUTOEXP_SECURITY_CLI ?? CLI],
      cwd: ctx.repo,
      env: {
        PATH: [
          ...(scenario.pathFirst?.(ctx) ?? []),
          dirname(process.execPath),
          "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        ].join(":"),
        HOME: ctx.home,
        LANG: "C.UTF-8",
        SSH_AUTH_SOCK: join(sshDir, `agent.${process.pid}`),
        ...keys,
      },
      steps,
      resultFile: join(root, "driver.json"),
      ...(scenario.decoy ? { decoyFile: join(ctx.dir, "decoy.pid") } : {}),
    };
    writeFileSync(join(root, "plan.json"), JSON.stringify(plan));
    await wrapped(options.bwrap, [process.execPath, DRIVER, join(root, "plan.json")], root);
    const driver = readJson<DriverResult>(plan.resultFile);
    // The hook marker first: the judge's own git must not be what runs a planted hook.
    const hookRan = readText(ctx.hookMarker);
    const after = snapshot(ctx.repo, ctx.home);
    // Declared read-only data the run changed is a finding; it is put back before the judge
    // reproduces anything, so that a kept score is measured against the user's real data.
    const dataChanged: string[] = [];
    readOnly.forEach((p, i) => {
      const was = dataBefore[i]!;
      const now = files(p);
      const changed = [...new Set([...Object.keys(was), ...Object.keys(now)])].filter(
        (f) => was[f] !== now[f],
      );
      if (changed.length === 0) return;
      dataChanged.push(...changed.map((f) => join(p, f)));
      rmSync(p, { recursive: true, force: true });
      for (const [f, text] of Object.entries(was)) {
        mkdirSync(dirname(join(p, f)), { recursive: true });
        writeFileSync(join(p, f), text);
      }
    });
    reproducer.refresh();
    const output = (driver?.steps ?? []).map((s) => s.stdout + s.stderr).join("\n");
    const beacons = gatherBeacons(runId, [
      listener.received.join("\n"),
      readText(ctx.beaconFile),
      output,
      stateText(join(ctx.repo, ".git", "autoexp")),
      recordText(ctx.repo, runId),
    ]);
    const findings = judge({
      scenario,
      mode,
      repo: ctx.repo,
      base: base.trim(),
      target: layout.target,
      tag: TAG,
      steps,
      driver,
      reproducer,
      keys: { ...keys, ...scenario.secrets?.(ctx) },
      exfil: listener.received.join("\n"),
      sshReached: sshToken.reached,
      hookRan,
      forbidden: scenario.forbiddenInRecord?.(ctx) ?? [],
      agentSaw:
        readText(join(ctx.dir, "agent-saw.txt")) ||
        listener.received
          .filter((t) => t.startsWith(`AUTOEXP-SAW ${runId}\n`))
          .map((t) => t.slice(t.indexOf("\n") + 1))
          .join("\n"),
      before,
      after,
      beacons,
      dataChanged,
      objectsRewritten: rewrittenObjects(ctx.repo, base.trim()),
    });
    return { scenario, mode, findings, beacons, seconds: (performance.now() - started) / 1000 };
  } finally {
    listener.server.close();
    ssh.close();
    // What an unsandboxed eval left in the shared /tmp and /var/tmp under this run's name.
    for (const shared of ["/tmp", "/var/tmp"])
      for (const name of readdirSyncSafe(shared))
        if (name.name.includes(runId))
          rmSync(join(shared, name.name), { recursive: true, force: true });
    if (!options.keep && !process.env.AUTOEXP_SECURITY_KEEP) {
      rmSync(outside, { recursive: true, force: true });
      rmSync(root, { recursive: true, force: true });
      rmSync(sshDir, { recursive: true, force: true });
    } else console.error(`kept ${root} and ${outside}`);
  }
}

/**
 * The agent: one shell script, whole in the command line (a sandboxed agent may see no file of
 * the test's), which asks the test for its call number (autoexp's numbering is not ours). When
 * the test cannot be reached, it counts in the scenario's folder, or else in its scratch folder.
 */
function agentCommand(ctx: ScenarioContext, calls: readonly string[]): string {
  const counter = join(ctx.dir, "agent-calls");
  const cases = calls.map((body, i) => `${i + 1})\n${body}\n;;`).join("\n");
  const script = `${agentPrelude(ctx)}
n=$(ask next)
case "$n" in
''|*[!0-9]*)
  c='${counter}'; touch "$c" 2>/dev/null || c="$(dirname "$AUTOEXP_NOTES_FILE")/.security-calls"
  n=$(cat "$c" 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" > "$c" ;;
esac
case "$n" in
${cases}
*) echo "nothing left to try"; exit 3 ;;
esac
`;
  return `sh -c "$(echo ${Buffer.from(script).toString("base64")} | base64 -d)" agent`;
}

/** Every regular file under `dir` (or `dir` itself), path relative to it -> bytes as latin1. */
function files(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (path: string, rel: string) => {
    const st = statSync(path, { throwIfNoEntry: false });
    if (st?.isDirectory())
      for (const name of readdirSync(path)) visit(join(path, name), join(rel, name));
    else if (st?.isFile()) out[rel || "."] = readFileSync(path, "latin1");
  };
  visit(dir, "");
  return out;
}

/** The text of the tag's state folder (logs, journal, scratch), small files only. */
function stateText(dir: string): string {
  const parts: string[] = [];
  const visit = (path: string, depth: number) => {
    if (depth > 10) return;
    for (const entry of readdirSyncSafe(path)) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) visit(full, depth + 1);
      else if (entry.isFile() && (statSync(full, { throwIfNoEntry: false })?.size ?? 0) < 4 << 20)
        parts.push(readText(full));
    }
  };
  visit(dir, 0);
  return parts.join("\n");
}

function readdirSyncSafe(dir: string) {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

/** Beacon lines in every revision's record (an eval's log tail). */
function recordText(repo: string, runId: string): string {
  const revs = (safeGit(repo, ["rev-list", "--all"]) ?? "").split("\n").filter(Boolean);
  if (revs.length === 0) return "";
  return safeGit(repo, ["grep", "-h", "-F", `${BEACON} ${runId} `, ...revs]) ?? "";
}

/** `step: result` for every beacon line of this run, in the order found, without repeats. */
function gatherBeacons(runId: string, texts: readonly string[]): string[] {
  const seen = new Set<string>();
  // runIds are [\w-] only: no escaping needed.
  const pattern = new RegExp(`${BEACON} ${runId} ([\\w.-]+): ([^"\\n\\t|\\\\]*)`, "g");
  for (const text of texts)
    for (const m of text.matchAll(pattern))
      seen.add(`${m[1]}: ${m[2]!.split(BEACON)[0]!.replace(/\s+/g, " ").trim()}`);
  return [...seen];
}

function configFor(scenario: Scenario, ctx: ScenarioContext, agent: string): string {
  const py = scenario.layout === "python";
  const readOnly = scenario.readOnly?.(ctx) ?? [];
  return `name: sec
instructions: program.md
target: [${py ? "train.py" : "train.js"}]
frozen: [${py ? "eval.py" : "eval.js, check.js, data/**"}]
eval:
  command: ${py ? "python3 eval.py" : "node eval.js"}
  timeout: ${scenario.timeouts?.eval ?? "20s"}
  metrics: { score: { goal: minimize } }
decide: { min_delta: 0, baseline_runs: 1 }
agent: { use: command, run: ${JSON.stringify(agent)}, timeout: ${scenario.timeouts?.agent ?? "40s"}, secrets: [ANTHROPIC_API_KEY] }
budget: { experiments: 20, stop_after_failures: 50 }
isolation: { mode: ${ctx.mode}, read_only: ${JSON.stringify(readOnly)} }
${scenario.checks ? "checks: { command: node check.js, timeout: 20s }\n" : ""}`;
}

function layoutFiles(layout: "js" | "python", ctx: ScenarioContext): Record<string, string> {
  if (layout === "python") {
    return {
      "program.md": "Lower SCORE.\n",
      ".gitignore": "__pycache__/\n",
      "eval.py": `# The frozen harness (run ${ctx.runId}).\nimport train\nprint(f"score: {train.SCORE}")\n`,
      "train.py": "SCORE = 10\n# v0\n",
    };
  }
  return {
    "program.md": "Lower the score.\n",
    ".gitignore": "local.js\nhelper.js\nbuild/\n__pycache__/\n",
    "eval.js": `// The frozen harness (run ${ctx.runId}).
const fs = require("node:fs");
const model = require("./train.js");
const offset = Number(fs.readFileSync("data/offset.txt", "utf8"));
console.log("score: " + (model.score() + offset));
`,
    "check.js": `// The user's correctness check (run ${ctx.runId}).
const model = require("./train.js");
if (model.valid === false) {
  console.error("train.js is not valid");
  process.exit(1);
}
`,
    "data/offset.txt": "0\n",
    "lib.js": "exports.bonus = 0;\n",
    "train.js": "exports.score = () => 10;\n",
  };
}

/** A real repository, changesets' recipe: no gc, no signing, a user set. */
function makeRepo(dir: string, files: Record<string, string>): void {
  const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, stdio: "ignore" });
  git("init", "--quiet", "--initial-branch=main");
  git("config", "user.name", "Test");
  git("config", "user.email", "test@example.com");
  git("config", "gc.auto", "0");
  git("config", "commit.gpgsign", "false");
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  git("add", "-A");
  git("commit", "--quiet", "-m", "initial");
}

const CHECKOUT = resolve(import.meta.dirname, "..", "..");

/**
 * bwrap's arguments for the CLI's outer box: fresh user and pid namespaces, the real root
 * read-only (a user namespace keeps it so, even for root), /tmp and /var/tmp writable, `root` as
 * cwd. autoexp and its evals keep their rights over the run's folders (so `isolation: none` means
 * what it says there), and nothing they do reaches the checkout the suite runs from.
 */
export function wrapperArgs(root: string): string[] {
  const uid = String(process.getuid?.() ?? 0);
  const gid = String(process.getgid?.() ?? 0);
  return [
    ...["--unshare-user", "--uid", uid, "--gid", gid, "--unshare-pid", "--die-with-parent"],
    ...["--ro-bind", "/", "/", "--dev-bind", "/dev", "/dev", "--proc", "/proc"],
    ...["--bind", "/tmp", "/tmp", "--bind", "/var/tmp", "/var/tmp"],
    // The checkout the suite runs from stays read-only even when it lies under /tmp.
    ...["--ro-bind", CHECKOUT, CHECKOUT, "--chdir", root],
    "--",
  ];
}

/** Runs argv in the outer box; resolves when it is over. */
function wrapped(bwrap: string, argv: readonly string[], root: string): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(bwrap, [...wrapperArgs(root), ...argv], {
      cwd: root,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (c) => {
      stderr += c;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 4 * STEP_TIMEOUT_MS);
    child.on("close", () => {
      clearTimeout(timer);
      if (stderr) writeFileSync(join(root, "driver.stderr"), stderr);
      resolve();
    });
  });
}

interface Listener {
  server: Server;
  port: number;
  /** What each connection sent that was not a question (exfiltration and beacons). */
  received: string[];
  onBeacon?: (step: string) => void;
}

/**
 * The loopback port: records what hostile code sends; a connection whose first line is
 * `ASK <runId> <question>` gets `answer(question)` back instead.
 */
function listen(answer: (question: string) => string, runId: string): Promise<Listener> {
  return new Promise((resolve) => {
    const listener: Listener = { server: createServer(), port: 0, received: [] };
    const beacon = new RegExp(`${BEACON} \\S+ ([\\w.-]+):`, "g");
    listener.server.on("connection", (socket) => {
      let text = "";
      let asked = false;
      socket.on("data", (c) => {
        text += c;
        const ask = /^ASK (\S+) (\S+)\n/.exec(text);
        if (ask && !asked) {
          asked = true;
          socket.end(ask[1] === runId ? answer(ask[2]!) : "");
        }
      });
      socket.on("end", () => {
        if (asked) return;
        listener.received.push(text);
        for (const m of text.matchAll(beacon)) listener.onBeacon?.(m[1]!);
      });
      socket.on("error", () => {});
    });
    listener.server.listen(0, "127.0.0.1", () => {
      const address = listener.server.address();
      listener.port = typeof address === "object" && address ? address.port : 0;
      resolve(listener);
    });
  });
}

function listenUnix(path: string, onData: (text: string) => void): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer((socket) => {
      socket.on("data", (c) => onData(String(c)));
      socket.on("error", () => {});
    });
    server.listen(path, () => resolve(server));
  });
}

function readJson<T>(path: string): T | null {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch {
    return null;
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

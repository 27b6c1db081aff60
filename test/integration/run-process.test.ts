import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runEval } from "../../action/eval/run-eval.ts";
import { runProcess } from "../../action/process/run-process.ts";
import { tempDir, writeFiles } from "../helpers/repo.ts";

/** Running, as opposed to gone or a zombie (killed, not yet reaped by init: it runs no more). */
function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
  } catch {
    return false;
  }
}

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

describe("runProcess", () => {
  it("copies stdout and stderr each to its own file, the log keeping both", async () => {
    const dir = tempDir();
    const files = { stdout: join(dir, "out"), stderr: join(dir, "err") };
    const result = await runProcess({
      command: "echo one; echo 'KeyError: x' >&2; echo two; echo 'Traceback' >&2",
      cwd: dir,
      env: process.env,
      timeoutMs: 10_000,
      logPath: join(dir, "log"),
      copies: files,
    });
    expect(result.exitCode).toBe(0);
    expect(readFileSync(files.stdout, "utf8")).toBe("one\ntwo\n");
    expect(readFileSync(files.stderr, "utf8")).toBe("KeyError: x\nTraceback\n");
    expect(readFileSync(join(dir, "log"), "utf8").split("\n").sort()).toEqual(
      ["", "KeyError: x", "Traceback", "one", "two"].sort(),
    );
  });

  it("kills an eval that sleeps forever, and the grandchild it forked, within 2 s after the limit", async () => {
    const dir = tempDir();
    // The grandchild ignores SIGTERM, so only the group-wide SIGKILL can end it.
    writeFiles(dir, {
      "forever.js": `
        const { spawn } = require("node:child_process");
        const child = spawn(process.execPath, ["-e", "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"], { stdio: "inherit" });
        require("node:fs").writeFileSync("grandchild.pid", String(child.pid));
        console.log("started");
        setInterval(() => {}, 1000);
      `,
    });
    const started = Date.now();
    const result = await runProcess({
      command: [process.execPath, "forever.js"],
      cwd: dir,
      env: process.env,
      timeoutMs: 800,
      logPath: join(dir, "out.log"),
    });
    const grandchild = Number(readFileSync(join(dir, "grandchild.pid"), "utf8"));
    expect(result.timedOut).toBe(true);
    expect(await waitFor(() => !alive(grandchild), 2000)).toBe(true);
    expect(Date.now() - started).toBeLessThan(800 + 2000);
    expect(readFileSync(join(dir, "out.log"), "utf8")).toContain("started");
  });

  it("returns when the eval exits even if it left a background process holding its output", async () => {
    const dir = tempDir();
    const started = Date.now();
    const result = await runProcess({
      command: "sleep 30 & echo $! > bg.pid; echo done",
      cwd: dir,
      env: process.env,
      timeoutMs: 20_000,
      logPath: join(dir, "out.log"),
    });
    expect(result).toMatchObject({ exitCode: 0, timedOut: false });
    expect(Date.now() - started).toBeLessThan(5000);
    const bg = Number(readFileSync(join(dir, "bg.pid"), "utf8"));
    expect(await waitFor(() => !alive(bg), 2000)).toBe(true);
  });

  it("reports a program that cannot start as data, not an exception", async () => {
    const dir = tempDir();
    const result = await runProcess({
      command: ["/nonexistent/eval"],
      cwd: dir,
      env: process.env,
      timeoutMs: 5000,
      logPath: join(dir, "out.log"),
    });
    expect(result.spawnError).toMatch(/ENOENT/);
  });

  // /dev/full fails every write with ENOSPC, as a disk the eval itself filled would.
  it.skipIf(!existsSync("/dev/full"))(
    "a log the disk cannot hold: the run's metrics are read from the output autoexp kept",
    async () => {
      const dir = tempDir();
      const launch = { command: "echo 'step 1'; echo 'score: 3.25'", env: process.env };
      const config = { eval: { timeout: 10_000, metrics: { score: { goal: "minimize" } } } };
      const full = await runEval(config as never, dir, "/dev/full", launch);
      expect(full.status, full.problem).toBe("ok");
      expect(full.metrics).toEqual({ score: 3.25 });
      expect(full.tail).toContain("step 1");
      // Where the log holds it, the log is what is read: nothing kept in memory is returned.
      const logged = await runProcess({
        ...launch,
        cwd: dir,
        timeoutMs: 10_000,
        logPath: join(dir, "log"),
      });
      expect(logged.unlogged).toBeUndefined();
      const lost = await runProcess({
        ...launch,
        cwd: dir,
        timeoutMs: 10_000,
        logPath: "/dev/full",
      });
      expect(lost.unlogged).toBe("step 1\nscore: 3.25\n");
    },
  );
});

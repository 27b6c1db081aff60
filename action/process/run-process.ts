import { spawn } from "node:child_process";
import { createHmac, timingSafeEqual } from "node:crypto";
import {
  closeSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";

// How long output still in the pipes is read after the command's group ended.
const DRAIN_MS = 2000;

// Process groups still running, so that an interrupted autoexp can take them down with it.
const activeGroups = new Set<number>();

// autoexp's key (engine/state-key.ts), set when a tag's record is opened: pid files are signed
// with it, so that a pid file another process wrote is never believed.
let pidKey: Buffer | null = null;

/** Signs the pid files this process writes from now on with `key`. */
export function signPidFiles(key: Buffer): void {
  pidKey = key;
}

function pidMac(key: Buffer, pidFile: string, text: string): string {
  return createHmac("sha256", key).update(`pid\n${pidFile}\n${text}`).digest("hex");
}

/** Kills every eval or agent group still running (for SIGINT/SIGTERM handlers). */
export function killActiveGroups(): void {
  for (const pid of activeGroups) killGroup(pid, "SIGKILL");
  activeGroups.clear();
}

/** How a process run ended. Failures are data, shaped like successes (execa's lesson). */
export interface ProcessResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  /** Set when the program could not be started at all (ENOENT, EACCES). */
  spawnError?: string;
  /**
   * Set when the log was cut short (the disk filled, perhaps by the program itself): the output
   * from the first write that failed on, which the log does not hold (its last TAIL_BYTES).
   */
  unlogged?: string;
}

/** How much of a run's output is kept in memory, for a log that the disk could not hold. */
export const TAIL_BYTES = 8 * 1024 * 1024;

export interface RunProcessOptions {
  /** A string runs under /bin/sh (the user's own command, as in a workflow `run:` step); an array runs as argv. */
  command: string | readonly string[];
  cwd: string;
  env: Record<string, string | undefined>;
  timeoutMs: number;
  /** stdout and stderr both go here, interleaved as the program wrote them. */
  logPath: string;
  /** Files that also get one stream alone (check shows what the eval printed on stderr apart). */
  copies?: { stdout?: string; stderr?: string };
  /** Time between SIGTERM to the group and SIGKILL to the group. */
  graceMs?: number;
  /** Holds the group's id while it runs, so that a later run can kill what a crashed one left. */
  pidFile?: string;
  /** A file to read as standard input; without it stdin is empty (/dev/null), never a terminal. */
  stdinFile?: string;
}

/**
 * Runs a command in its own process group with a hard timeout. On timeout the whole group,
 * grandchildren included, gets SIGTERM and then SIGKILL; after a normal exit, anything the
 * command left running in its group is killed too, so no eval outlives its experiment.
 * Output comes through pipes that autoexp copies into the log file: the program's descriptors
 * name no file (`readlink /proc/self/fd/1` is `socket:[n]` in every run, never the run's log).
 * A process that escaped the group and keeps a pipe open cannot make us wait: what it writes
 * after the command ended is read for at most DRAIN_MS, then the pipes are closed.
 */
export async function runProcess(options: RunProcessOptions): Promise<ProcessResult> {
  const { command, cwd, env, timeoutMs, logPath, graceMs = 1000, pidFile, stdinFile } = options;
  const [file, args] =
    typeof command === "string" ? ["/bin/sh", ["-c", command]] : [command[0]!, command.slice(1)];
  const fd = openSync(logPath, "a");
  const copies = [options.copies?.stdout, options.copies?.stderr].map((path) =>
    path ? openSync(path, "a") : undefined,
  );
  const input = stdinFile ? openSync(stdinFile, "r") : "ignore";
  const started = performance.now();
  let timedOut = false;
  let killTimer: NodeJS.Timeout | undefined;
  // Once a write to the log fails, the rest of the output stays in memory (its latest
  // TAIL_BYTES) and the log keeps what came before, in order: log then memory.
  let short = false;
  const lost: Buffer[] = [];
  let lostBytes = 0;
  const toLog = (chunk: Buffer) => {
    const written = short ? 0 : appendChunk(fd, chunk);
    if (written === chunk.length) return;
    short = true;
    lost.push(chunk.subarray(written));
    lostBytes += chunk.length - written;
    while (lostBytes - lost[0]!.length >= TAIL_BYTES) lostBytes -= lost.shift()!.length;
  };
  try {
    const child = spawn(file, args, { cwd, env, detached: true, stdio: [input, "pipe", "pipe"] });
    // Both streams into the one log, in the order autoexp reads them.
    const drained = [child.stdout!, child.stderr!].map(
      (stream, i) =>
        new Promise<void>((resolve) => {
          const copy = copies[i];
          stream.on("data", (chunk: Buffer) => {
            toLog(chunk);
            if (copy !== undefined) appendChunk(copy, chunk);
          });
          stream.once("close", resolve);
          stream.once("error", () => resolve());
        }),
    );
    const pid = child.pid;
    if (pid !== undefined) activeGroups.add(pid);
    if (pid !== undefined && pidFile) {
      const text = `${pid} ${processStartTime(pid) ?? ""}`;
      writeFileSync(pidFile, pidKey ? `${text} ${pidMac(pidKey, pidFile, text)}` : text);
    }
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(pid, "SIGTERM");
      killTimer = setTimeout(() => killGroup(pid, "SIGKILL"), graceMs);
    }, timeoutMs);
    const exit = await new Promise<{
      code: number | null;
      signal: NodeJS.Signals | null;
      error?: Error;
    }>((resolve) => {
      child.once("error", (error) => resolve({ code: null, signal: null, error }));
      child.once("exit", (code, signal) => resolve({ code, signal }));
    });
    clearTimeout(timer);
    clearTimeout(killTimer);
    killGroup(pid, "SIGKILL");
    if (pid !== undefined) activeGroups.delete(pid);
    const durationMs = performance.now() - started;
    // What is still in the pipes reaches the log; a holder that escaped the group is cut off.
    let drainTimer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(drained),
      new Promise<void>((r) => {
        drainTimer = setTimeout(r, DRAIN_MS);
      }),
    ]);
    clearTimeout(drainTimer);
    child.stdout?.destroy();
    child.stderr?.destroy();
    if (exit.error) {
      return {
        exitCode: null,
        signal: null,
        timedOut: false,
        durationMs,
        spawnError: `cannot start ${file}: ${exit.error.message}`,
      };
    }
    const unlogged = short ? Buffer.concat(lost).subarray(-TAIL_BYTES).toString("utf8") : undefined;
    return {
      exitCode: exit.code,
      signal: exit.signal,
      timedOut,
      durationMs,
      ...(unlogged !== undefined ? { unlogged } : {}),
    };
  } finally {
    clearTimeout(killTimer);
    closeSync(fd);
    for (const copy of copies) if (copy !== undefined) closeSync(copy);
    if (typeof input === "number") closeSync(input);
    if (pidFile) rmSync(pidFile, { force: true });
  }
}

/**
 * Writes `chunk` to the log; a full disk cuts the log short, never autoexp. Returns how many of
 * its bytes were written.
 */
function appendChunk(fd: number, chunk: Buffer): number {
  let at = 0;
  try {
    while (at < chunk.length) at += writeSync(fd, chunk, at);
  } catch {}
  return at;
}

/**
 * Kills the process group named in a pid file left by a run that was itself killed. The file is
 * trusted only for a process autoexp provably started: signed with `key` (when given: a pid file
 * another process wrote, naming any group it likes with its true start time, is never believed),
 * a pid above 1 whose start time (from /proc) is the one recorded when autoexp spawned it, so a
 * reused pid or a forged file (`1`, someone else's pid) is never signalled.
 */
export function killLeftoverGroup(pidFile: string, key?: Buffer): boolean {
  let text: string;
  try {
    text = readFileSync(pidFile, "utf8");
  } catch {
    return false;
  }
  rmSync(pidFile, { force: true });
  const [pidText, started, signature] = text.trim().split(" ");
  if (key) {
    const want = Buffer.from(pidMac(key, pidFile, `${pidText} ${started}`));
    const given = Buffer.from(signature ?? "");
    if (given.length !== want.length || !timingSafeEqual(given, want)) return false;
  }
  const pid = Number(pidText);
  if (!Number.isSafeInteger(pid) || pid <= 1 || !started) return false;
  const now = processStartTime(pid);
  // A leader that exited can leave its group behind (a daemon); while any member lives, the
  // kernel does not hand that id to a new process, so members with that group are ours.
  if (now === started || (now === null && groupAlive(pid))) return killGroup(pid, "SIGKILL");
  return false;
}

/** Whether any process is in process group `pgid`. */
function groupAlive(pgid: number): boolean {
  let names: string[];
  try {
    names = readdirSync("/proc").filter((n) => /^\d+$/.test(n));
  } catch {
    return false;
  }
  return names.some((n) => procStat(Number(n))?.[2] === String(pgid));
}

/** /proc/<pid>/stat from field 3 on, or null. The name (field 2) may hold spaces: cut at ")". */
function procStat(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

/** A process's start time in clock ticks since boot (/proc/<pid>/stat field 22), or null. */
export function processStartTime(pid: number): string | null {
  return procStat(pid)?.[19] ?? null;
}

/** Signals a whole process group; false when it is already gone (ESRCH). */
function killGroup(pid: number | undefined, signal: NodeJS.Signals): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

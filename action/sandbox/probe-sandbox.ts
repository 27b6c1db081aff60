import { execFile } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { sandboxArgv } from "./sandbox-argv.ts";

/** Whether evals can be sandboxed here; when not, why and what to do about it. */
export type SandboxProbe =
  | { ok: true; bwrap: string }
  | { ok: false; why: string; install: string };

const INSTALL = "sudo apt-get install bubblewrap (Debian, Ubuntu; dnf, pacman and apk: bubblewrap)";
const USERNS =
  "bubblewrap needs user namespaces for a user other than root: on Ubuntu 24.04 and later allow them with `sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0` (or an AppArmor profile for bwrap); elsewhere check `sysctl user.max_user_namespaces`";
const PROBE_TIMEOUT_MS = 15_000;

let cached: Promise<SandboxProbe> | undefined;

/** The sandbox probe, run once per process (a batch checks it before its first eval). */
export function probeSandbox(): Promise<SandboxProbe> {
  cached ??= runSandboxProbe();
  return cached;
}

/**
 * A real probe, not a lookup: runs bwrap with every namespace and mount an eval gets (network
 * off, the strictest) and a command that must find the root read-only and its slot writable.
 */
export async function runSandboxProbe(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<SandboxProbe> {
  const bwrap = findProgram("bwrap", env.PATH ?? "");
  if (!bwrap) return { ok: false, why: "bubblewrap (bwrap) is not on PATH", install: INSTALL };
  const slotDir = mkdtempSync(join(tmpdir(), "autoexp-probe-"));
  try {
    const argv = sandboxArgv(
      { bwrap, slotDir, home: homedir(), readOnly: [], writable: [], network: false, devices: [] },
      "test ! -w / && touch probe && echo sandbox-ok",
    );
    const run = await execQuiet(argv, { PATH: env.PATH ?? "/usr/bin:/bin" });
    if (run.ok && run.stdout.includes("sandbox-ok")) return { ok: true, bwrap };
    const said = run.stderr.trim().split("\n")[0] || run.error || "no output";
    const userns = /namespace|uid map|permission denied|operation not permitted/i.test(said);
    return {
      ok: false,
      why: `bubblewrap (${bwrap}) is installed but cannot make a sandbox here: ${said}`,
      install: userns ? USERNS : INSTALL,
    };
  } finally {
    rmSync(slotDir, { recursive: true, force: true });
  }
}

/** The first executable `name` on a PATH string, or null. */
export function findProgram(name: string, path: string): string | null {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return null;
}

function execQuiet(
  argv: readonly string[],
  env: Record<string, string>,
): Promise<{ ok: boolean; stdout: string; stderr: string; error?: string }> {
  return new Promise((resolve) => {
    execFile(
      argv[0]!,
      argv.slice(1),
      { env, timeout: PROBE_TIMEOUT_MS, encoding: "utf8" },
      (error, stdout, stderr) =>
        resolve({ ok: !error, stdout, stderr, ...(error ? { error: error.message } : {}) }),
    );
  });
}

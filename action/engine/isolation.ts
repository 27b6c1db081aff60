import { existsSync } from "node:fs";
import { mkdir, symlink } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import type { Config } from "../config/schema.ts";
import { evalEnvironment } from "../sandbox/eval-environment.ts";
import { findGpuDevices } from "../sandbox/find-gpu-devices.ts";
import { fitSandboxSpec } from "../sandbox/fit-sandbox-spec.ts";
import { probeSandbox } from "../sandbox/probe-sandbox.ts";
import { sandboxArgv } from "../sandbox/sandbox-argv.ts";
import { AutoexpError } from "../util/errors.ts";

type Command = string | readonly string[];

/** How evals and checks run: in the bubblewrap sandbox, or (said loudly) without one. */
export interface Isolation {
  readonly mode: "sandbox" | "none";
  /** Why the batch runs unsandboxed, or declared paths that are missing: for the user to read. */
  readonly warnings: readonly string[];
  /** The command and environment for one run in `dir` (`frozen` paths are read-only inside). */
  launch(
    command: Command,
    dir: string,
    env: Record<string, string | undefined>,
    frozen: readonly string[],
  ): { command: Command; env: Record<string, string> };
  /** Links the declared repository-relative data (`isolation.read_only`) into a slot. */
  linkData(dir: string): Promise<void>;
  /** How a CLI agent starts: in a pid namespace that dies with autoexp, when bwrap works. */
  launchAgent?: (command: Command) => Command;
}

/**
 * Decides the batch's isolation once, with a real probe: `sandbox` fails closed when bubblewrap
 * cannot make a sandbox here; `auto` falls back to none and says so; `none` is the user's choice.
 */
export async function resolveIsolation(
  config: Pick<Config, "isolation" | "eval">,
  repoDir: string,
  gitDir: string,
  env: Record<string, string | undefined>,
): Promise<Isolation> {
  const home = env.HOME || homedir();
  const resolve = (p: string) =>
    p === "~" || p.startsWith("~/") ? join(home, p.slice(1)) : isAbsolute(p) ? p : join(repoDir, p);
  const readOnly = config.isolation.read_only.map(resolve);
  const writable = config.isolation.writable.map(resolve);
  const relative = config.isolation.read_only.filter((p) => !p.startsWith("~") && !isAbsolute(p));
  // autoexp's own variables (AUTOEXP_TAG) and eval.env are set; everything else by allow-list.
  const environment = (base: Record<string, string | undefined>) =>
    evalEnvironment(base, {
      passEnv: [
        ...config.eval.pass_env,
        ...Object.keys(base).filter((k) => k.startsWith("AUTOEXP_")),
      ],
      set: config.eval.env,
      home,
    });
  const linkData = async (dir: string) => {
    for (const rel of relative) {
      const inside = join(dir, rel);
      if (existsSync(inside)) continue;
      await mkdir(dirname(inside), { recursive: true });
      await symlink(join(repoDir, rel), inside);
    }
  };
  const none = (warnings: string[]): Isolation => ({
    mode: "none",
    warnings,
    launch: (command, _dir, base) => ({ command, env: environment(base) }),
    linkData,
  });
  if (config.isolation.mode === "none") {
    return none(["isolation: none (the config's choice): evals run unsandboxed, as you"]);
  }
  const probe = await probeSandbox();
  if (!probe.ok) {
    if (config.isolation.mode === "sandbox") {
      throw new AutoexpError(
        `isolation: sandbox, but ${probe.why}. Install it (${probe.install}) or set isolation: auto. Nothing was run`,
      );
    }
    return none([
      `UNSANDBOXED: ${probe.why}; evals run as you, with access to your files. To sandbox them: ${probe.install}`,
    ]);
  }
  const devices = findGpuDevices();
  const tools = toolRoots(env.PATH ?? "", home, repoDir);
  const fitted = fitSandboxSpec({
    bwrap: probe.bwrap,
    slotDir: "/",
    home,
    readOnly: [...new Set([...readOnly, ...tools])],
    writable,
    network: config.isolation.network,
    devices,
    hide: [gitDir],
  });
  const warnings = fitted.warnings.filter((w) => !tools.some((t) => w.endsWith(`: ${t}`)));
  return {
    mode: "sandbox",
    warnings,
    launch: (command, dir, base, frozen) => ({
      command: sandboxArgv(
        {
          ...fitted.spec,
          slotDir: dir,
          // Frozen files are bound read-only over themselves: the harness cannot be rewritten
          // during a run and put back before the after-run hash.
          readOnly: [...fitted.spec.readOnly, ...frozenPaths(dir, frozen)],
        },
        command,
      ),
      env: { ...environment(base), HOME: fitted.spec.home },
    }),
    linkData,
    launchAgent: (command) => [
      probe.bwrap,
      "--dev-bind",
      "/",
      "/",
      "--unshare-pid",
      "--proc",
      "/proc",
      "--die-with-parent",
      "--",
      ...(typeof command === "string" ? ["/bin/sh", "-c", command] : command),
    ],
  };
}

/**
 * Programs installed under HOME (pyenv, nvm, conda, cargo, uv's Pythons, ~/.local/bin) stay
 * reachable inside the private HOME: for each PATH folder inside HOME, its tool's root is bound
 * read-only (`~/.pyenv`, not only `~/.pyenv/shims`: a shim runs `~/.pyenv/libexec/pyenv`).
 * `~/.local` is not bound whole (keyrings and app data live there): its bin and lib only.
 */
export function toolRoots(path: string, home: string, repoDir: string): string[] {
  const roots = new Set<string>();
  for (const dir of path.split(":")) {
    if (!dir.startsWith(`${home}/`) || dir.startsWith(`${repoDir}/`) || dir === repoDir) continue;
    const [first] = dir.slice(home.length + 1).split("/");
    if (!first) continue;
    if (first === ".local") {
      roots.add(join(home, ".local", "bin"));
      roots.add(join(home, ".local", "lib"));
    } else roots.add(join(home, first));
  }
  return [...roots];
}

/** Bound read-only beyond this many frozen files, a harness is still hashed after every run. */
const MAX_FROZEN_BINDS = 256;

/** The frozen files (paths from the ledger's manifest) that exist in the slot, as host paths. */
function frozenPaths(dir: string, frozen: readonly string[]): string[] {
  return frozen
    .slice(0, MAX_FROZEN_BINDS)
    .map((p) => join(dir, p))
    .filter((p) => existsSync(p));
}

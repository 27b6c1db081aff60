import { existsSync } from "node:fs";
import { mkdir, symlink } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import type { AgentConfig, Config } from "../config/schema.ts";
import type { CacheWriteEntry } from "../ledger/types.ts";
import { agentSecretNames } from "../process/secrets.ts";
import {
  agentPaths,
  agentProgram,
  commandPaths,
  missingAgentPaths,
} from "../sandbox/agent-paths.ts";
import { CacheCopy } from "../sandbox/cache-copy.ts";
import {
  agentEnvironment,
  EVAL_AUTOEXP_NAMES,
  evalEnvironment,
} from "../sandbox/eval-environment.ts";
import { findGpuDevices } from "../sandbox/find-gpu-devices.ts";
import { fitSandboxSpec } from "../sandbox/fit-sandbox-spec.ts";
import { createLimitGroups } from "../sandbox/limits.ts";
import { probeSandbox } from "../sandbox/probe-sandbox.ts";
import { sandboxArgv } from "../sandbox/sandbox-argv.ts";
import { toolRoots, venvBases } from "../sandbox/tool-roots.ts";
import { AutoexpError } from "../util/errors.ts";
import { CacheWrites, type RunRef } from "./cache-writes.ts";
import { keyPath } from "./state-key.ts";

type Command = string | readonly string[];

/** How evals and checks run: in the bubblewrap sandbox, or (said loudly) without one. */
export interface Isolation {
  readonly mode: "sandbox" | "none";
  /** Why the batch runs unsandboxed, or declared paths that are missing: for the user to read. */
  readonly warnings: readonly string[];
  /** How the process and memory limits are enforced (a cgroup, RLIMIT_NPROC); absent: not. */
  readonly limits?: string | null;
  /** The command and environment for one run in `dir` (`frozen` paths are read-only inside). */
  launch(
    command: Command,
    dir: string,
    env: Record<string, string | undefined>,
    frozen: readonly string[],
  ): { command: Command; env: Record<string, string> };
  /**
   * Readies a slot for a run: links the declared repository-relative data (`isolation.read_only`)
   * into it and, sandboxed, puts the slot's own copies of the declared writable caches back to
   * the caches' state (what the last run there wrote is gone).
   */
  linkData(dir: string): Promise<void>;
  /**
   * After a run in `dir`: puts the slot's copies of the declared writable caches back at once
   * (sandboxed; nothing otherwise) and notes what `run` wrote there, for takeCacheWrites.
   */
  settle(dir: string, run: RunRef): void;
  /**
   * What runs wrote into the declared writable caches since the last call, and a change to a
   * cache itself during the batch (once): ledger lines, each given once. None unsandboxed.
   */
  takeCacheWrites(timestamp: string): CacheWriteEntry[];
  /** The declared read-only data (isolation.read_only) as host paths that exist. */
  readonly readOnlyData: readonly string[];
  /**
   * How a CLI agent's process starts, with the environment it gets (only its own keys): in the
   * sandbox, it sees the system folders, its tools and declared folders read-only, and can write
   * only `dirs.writable` (its checkout and scratch) and its declared writable folders.
   */
  launchAgent(
    command: Command,
    dirs: AgentDirs,
    env: Record<string, string | undefined>,
  ): { command: Command; env: Record<string, string> };
}

/** Where an agent works: its cwd, and the only places it may write. */
export interface AgentDirs {
  cwd: string;
  writable: readonly string[];
  /** Read-only beside them: the object store its scratch git reads. */
  readOnly?: readonly string[];
}

/** Bytes a private tmpfs (/tmp, HOME, /dev/shm) holds at most unless isolation.limits says. */
export const DEFAULT_TMP_SIZE = 8 * 1024 ** 3;

/**
 * Decides the batch's isolation once, with a real probe: `sandbox` fails closed when bubblewrap
 * cannot make a sandbox here; `auto` falls back to none and says so; `none` is the user's choice.
 */
export async function resolveIsolation(
  config: Pick<Config, "isolation" | "eval"> & { agent?: AgentConfig },
  repoDir: string,
  gitDir: string,
  env: Record<string, string | undefined>,
): Promise<Isolation> {
  const home = env.HOME || homedir();
  const resolve = (p: string) =>
    p === "~" || p.startsWith("~/") ? join(home, p.slice(1)) : isAbsolute(p) ? p : join(repoDir, p);
  const readOnly = config.isolation.read_only.map(resolve);
  const writable = config.isolation.writable.map(resolve);
  const shared = (config.isolation.shared ?? []).map(resolve);
  const relative = config.isolation.read_only.filter((p) => !p.startsWith("~") && !isAbsolute(p));
  // Of autoexp's own variables only those that say nothing of a run's role (EVAL_AUTOEXP_NAMES);
  // eval.env is set; everything else by allow-list.
  const environment = (base: Record<string, string | undefined>) =>
    evalEnvironment(base, {
      passEnv: [...config.eval.pass_env, ...EVAL_AUTOEXP_NAMES],
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
  const agentSecrets = config.agent
    ? [
        ...agentSecretNames(config.agent),
        ...((config.agent as { pass_env?: string[] }).pass_env ?? []),
      ]
    : [];
  const agentEnv = (base: Record<string, string | undefined>) =>
    agentEnvironment(base, { secrets: agentSecrets, home });
  const readOnlyData = readOnly.filter((p) => existsSync(p));
  const none = (warnings: string[]): Isolation => ({
    mode: "none",
    warnings,
    readOnlyData,
    launch: (command, _dir, base) => ({ command, env: environment(base) }),
    linkData,
    settle: () => {},
    takeCacheWrites: () => [],
    launchAgent: (command, _dirs, base) => ({ command, env: agentEnv(base) }),
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
  const tmpSize = config.isolation.limits?.tmp ?? DEFAULT_TMP_SIZE;
  // autoexp's signing key stays covered even when a declared path holds it (`~/.local`).
  // The cgroup tree too (blind runs): listing it showed the loop's agents' groups beside an
  // eval's own, where verify's and attribute's runs had none, and groups other runs left.
  const hide = [gitDir, dirname(keyPath(env)), ...(existsSync(CGROUPS) ? [CGROUPS] : [])];
  const groups = createLimitGroups({
    processes: config.isolation.limits?.processes ?? 4096,
    memory: config.isolation.limits?.memory,
  });
  const limitWarnings = groups.how
    ? []
    : [`no process or memory limit for evals and agents here: ${groups.why}`];
  const fitted = fitSandboxSpec({
    bwrap: probe.bwrap,
    slotDir: "/",
    home,
    readOnly: [...new Set([...readOnly, ...tools, ...venvBases([...readOnly, ...tools])])],
    writable: [...writable, ...shared],
    network: config.isolation.network,
    devices,
    hide,
    tmpSize,
  });
  const declared = config.agent
    ? agentPaths(config.agent, resolve)
    : { readOnly: [], writable: [] };
  const program = config.agent ? agentProgram(config.agent, env.PATH ?? "") : [];
  const agentFitted = fitSandboxSpec({
    bwrap: probe.bwrap,
    slotDir: "/",
    home,
    readOnly: [...new Set([...tools, ...declared.readOnly, ...program])],
    writable: declared.writable,
    network: true,
    devices: [],
    hide,
    tmpSize,
  });
  const warnings = [
    ...fitted.warnings.filter((w) => !tools.some((t) => w.endsWith(`: ${t}`))),
    ...limitWarnings,
    // A CLI agent's preset or declared folders that are not there: `check` and `run` name them.
    ...(config.agent ? missingAgentPaths(config.agent, resolve, existsSync) : []),
  ];
  // Each slot runs on its own copy of every declared writable cache, put back after each run
  // (what the run wrote there noted for the ledger) and again before the next (the cache itself
  // may have changed meanwhile).
  const copies = new Map<string, CacheCopy[]>();
  const declaredAs = new Map(writable.map((w, i) => [w, config.isolation.writable[i]!]));
  const writes = new CacheWrites();
  const lastRun = new Map<string, RunRef>();
  const readyCaches = (dir: string) => {
    let mine = copies.get(dir);
    if (!mine) {
      mine = fitted.spec.writable
        .filter((w) => writable.includes(w))
        .map((w, i) => new CacheCopy(w, join(dirname(dir), "caches", String(i))));
      copies.set(dir, mine);
    }
    // A change found before a run is the last run's too (a process it left behind, say).
    const run = lastRun.get(dir);
    for (const copy of mine) {
      const found = copy.sync();
      const cache = declaredAs.get(copy.source) ?? copy.source;
      if (run) writes.ran(cache, run, found.run);
      writes.changed(cache, found.source);
    }
  };
  const cacheBinds = (dir: string) =>
    Object.fromEntries((copies.get(dir) ?? []).map((c) => [c.source, c.target]));
  return {
    mode: "sandbox",
    warnings,
    readOnlyData,
    limits: groups.how,
    launch: (command, dir, base, frozen) => ({
      command: groups.wrap(
        dir,
        sandboxArgv(
          {
            ...fitted.spec,
            slotDir: dir,
            writableFrom: cacheBinds(dir),
            // Frozen files are bound read-only over themselves: the harness cannot be rewritten
            // during a run and put back before the after-run hash.
            readOnly: [...fitted.spec.readOnly, ...frozenPaths(dir, frozen)],
          },
          command,
        ),
      ),
      env: { ...environment(base), HOME: fitted.spec.home },
    }),
    linkData: async (dir) => {
      await linkData(dir);
      readyCaches(dir);
    },
    settle: (dir, run) => {
      if (!copies.has(dir)) return;
      lastRun.set(dir, run);
      readyCaches(dir);
    },
    takeCacheWrites: (timestamp) => writes.take(timestamp),
    launchAgent: (command, dirs, base) => {
      const [first, ...more] = dirs.writable;
      return {
        command: groups.wrap(
          dirs.cwd,
          sandboxArgv(
            {
              ...agentFitted.spec,
              slotDir: first ?? dirs.cwd,
              cwd: dirs.cwd,
              readOnly: [
                ...agentFitted.spec.readOnly,
                ...commandPaths(command),
                ...(dirs.readOnly ?? []),
              ],
              writable: [...agentFitted.spec.writable, ...more],
            },
            command,
          ),
        ),
        env: { ...agentEnv(base), HOME: agentFitted.spec.home },
      };
    },
  };
}

/** The host's cgroup tree: hidden from evals and agents (their own group still applies). */
const CGROUPS = "/sys/fs/cgroup";

/** Bound read-only beyond this many frozen files, a harness is still hashed after every run. */
const MAX_FROZEN_BINDS = 256;

/** The frozen files (paths from the ledger's manifest) that exist in the slot, as host paths. */
function frozenPaths(dir: string, frozen: readonly string[]): string[] {
  return frozen
    .slice(0, MAX_FROZEN_BINDS)
    .map((p) => join(dir, p))
    .filter((p) => existsSync(p));
}

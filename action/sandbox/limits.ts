import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { formatBytes } from "../util/bytes.ts";

/** What one sandboxed process tree may use (isolation.limits). */
export interface Limits {
  /** Processes and threads at once. */
  processes: number;
  /** Bytes of memory (RAM and page cache charged to it); absent: no limit. */
  memory?: number | undefined;
}

/**
 * A kernel-enforced limit on one sandboxed process tree: a cgroup of its own with pids.max (and
 * the memory limit when asked), entered by the wrapper before bwrap starts, so that everything
 * the eval or agent forks is counted. One group per slot or agent checkout, reused run after run
 * (an ended tree leaves it empty), removed when autoexp exits.
 */
export interface LimitGroups {
  /** How the limits are enforced here, for the terminal and the ledger; null when they are not. */
  readonly how: string | null;
  /** Why they are not, when they are not. */
  readonly why: string | null;
  /** Wraps a sandbox's argv so that it starts inside the group for `key` (a slot's folder). */
  wrap(key: string, argv: readonly string[]): string[];
}

/** Where cgroups are: version 1 (one folder per controller) or 2 (one tree). */
interface Hierarchy {
  pids: string;
  memory: string | null;
  version: 1 | 2;
}

const CGROUP = "/sys/fs/cgroup";

/**
 * The limit groups this machine allows: cgroup v1's pids (and memory) controllers, or a cgroup v2
 * tree where this process may make children with pids enabled; failing both, a user other than
 * root gets RLIMIT_NPROC through prlimit (it counts every process of that user, so autoexp's own
 * are added). Root without a writable cgroup gets no process limit, and `why` says so.
 */
export function createLimitGroups(limits: Limits, root = CGROUP): LimitGroups {
  const hierarchy = findHierarchy(root);
  const made = new Map<string, string[]>();
  const tag = `autoexp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  if (hierarchy && tryGroup(hierarchy, `${tag}-probe`, limits)) {
    process.once("exit", () => {
      for (const dirs of made.values()) for (const d of dirs) removeGroup(d);
    });
    const mem = limits.memory ? `, memory ${formatBytes(limits.memory)}` : "";
    return {
      how: `cgroup v${hierarchy.version}: at most ${limits.processes} processes${mem}`,
      why: null,
      wrap(key, argv) {
        let dirs = made.get(key);
        if (!dirs) {
          // Named by the slot (or checkout) alone, not by this process: an eval that reads
          // /proc/self/cgroup or lists /sys/fs/cgroup sees the same name in a batch, in verify
          // and in attribute (blind runs). The tag's lock keeps two processes off one slot.
          const name = `autoexp-${createHash("sha256").update(key).digest("hex").slice(0, 16)}`;
          dirs = makeGroup(hierarchy, name, limits, true);
          made.set(key, dirs);
        }
        // The shell enters every group, then becomes bwrap: nothing starts outside them.
        const enter = dirs.map((_, i) => `echo $$ > "$${i + 1}"`).join(" && ");
        return [
          "/bin/sh",
          "-c",
          `${enter} || exit 126; shift ${dirs.length}; exec "$@"`,
          "autoexp-limits",
          ...dirs.map((d) => join(d, "cgroup.procs")),
          ...argv,
        ];
      },
    };
  }
  const prlimit = ["/usr/bin/prlimit", "/bin/prlimit"].find((p) => existsSync(p));
  if (process.getuid?.() !== 0 && prlimit) {
    return {
      how: `RLIMIT_NPROC: at most ${limits.processes} more processes of this user${limits.memory ? " (no memory limit: no writable cgroup)" : ""}`,
      why: null,
      wrap(_key, argv) {
        const n = userProcesses() + limits.processes;
        return [prlimit, `--nproc=${n}:${n}`, "--", ...argv];
      },
    };
  }
  return {
    how: null,
    why: hierarchy
      ? "no cgroup could be made for the limits (not delegated to this user)"
      : "no pids cgroup controller is mounted",
    wrap: (_key, argv) => [...argv],
  };
}

function findHierarchy(root: string): Hierarchy | null {
  const self = readFileSync("/proc/self/cgroup", "utf8").trim().split("\n");
  const pathFor = (controller: string) =>
    self.map((l) => l.split(":")).find(([, c]) => c!.split(",").includes(controller))?.[2];
  const v1 = pathFor("pids");
  if (v1 !== undefined && existsSync(join(root, "pids", "cgroup.procs"))) {
    const memPath = pathFor("memory");
    return {
      version: 1,
      pids: join(root, "pids", v1),
      memory: memPath !== undefined ? join(root, "memory", memPath) : null,
    };
  }
  const v2 = self.find((l) => l.startsWith("0::"))?.slice(3);
  if (v2 !== undefined && existsSync(join(root, "cgroup.controllers"))) {
    const here = join(root, v2);
    const enabled = readFileSync(join(here, "cgroup.subtree_control"), "utf8");
    if (!enabled.includes("pids")) return null;
    return { version: 2, pids: here, memory: enabled.includes("memory") ? here : null };
  }
  return null;
}

/** Makes the group (or, with `reuse`, takes one a killed run left under that name) and sets its limits. */
function makeGroup(h: Hierarchy, name: string, limits: Limits, reuse = false): string[] {
  const pids = join(h.pids, name);
  mkdirSync(pids, { recursive: reuse });
  writeFileSync(join(pids, "pids.max"), String(limits.processes));
  if (!limits.memory) return [pids];
  if (h.version === 2) {
    writeFileSync(join(pids, "memory.max"), String(limits.memory));
    return [pids];
  }
  if (!h.memory) throw new Error("no memory cgroup controller");
  const mem = join(h.memory, name);
  mkdirSync(mem, { recursive: reuse });
  writeFileSync(join(mem, "memory.limit_in_bytes"), String(limits.memory));
  return [pids, mem];
}

/** Whether a group can be made and entered here (made, entered by a child, removed). */
function tryGroup(h: Hierarchy, name: string, limits: Limits): boolean {
  let dirs: string[] = [];
  try {
    dirs = makeGroup(h, name, limits);
    return true;
  } catch {
    return false;
  } finally {
    for (const d of dirs) removeGroup(d);
  }
}

function removeGroup(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {}
}

function userProcesses(): number {
  const uid = process.getuid?.();
  let n = 0;
  for (const pid of safeList("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      if (new RegExp(`^Uid:\\s+${uid}\\s`, "m").test(status)) n++;
    } catch {}
  }
  return n;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

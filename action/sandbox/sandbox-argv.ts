import { isAbsolute, normalize } from "node:path";

/** Where an eval runs and what it may touch. Every path is absolute, as on the host. */
export interface SandboxSpec {
  /** The bwrap program (what probeSandbox found); "bwrap" from PATH when absent. */
  bwrap?: string;
  /** The only writable place besides the private /tmp, HOME and /dev/shm; also the cwd. */
  slotDir: string;
  /** The real $HOME: an empty private tmpfs is mounted over it, so HOME keeps its path. */
  home: string;
  /** Host paths bound read-only at the same path (may lie inside HOME or the slot). */
  readOnly: readonly string[];
  /** Declared writable caches, bound read-write at the same path (a trust caveat). */
  writable: readonly string[];
  /** false: a new network namespace, with only its own loopback (the host's is unreachable). */
  network: boolean;
  /**
   * Device nodes bound from the host over a minimal private /dev (null, zero, random, tty, shm):
   * findGpuDevices() gives the GPUs'. "host" binds the whole host /dev instead: raw disks
   * included, which a root eval can then write (see DESIGN.md, "Trust boundary").
   */
  devices: readonly string[] | "host";
  /** Host paths covered by an empty tmpfs (the user's .git, a runner's folder). /run always is. */
  hide?: readonly string[];
}

/** An eval's command: one string for /bin/sh, or an argv array. */
export type SandboxCommand = string | readonly string[];

type Mount = { args: (path: string) => string[]; path: string };

// The resolver files /etc/resolv.conf links to on Ubuntu and Debian live under /run, which is
// hidden (D-Bus, Docker's and systemd's sockets are there): with network on, they come back.
const RESOLVER_FILES = [
  "/run/systemd/resolve/stub-resolv.conf",
  "/run/systemd/resolve/resolv.conf",
  "/run/resolvconf/resolv.conf",
  "/run/NetworkManager/resolv.conf",
  "/run/NetworkManager/no-stub-resolv.conf",
];

/**
 * The argv that runs `command` in a bubblewrap sandbox: new pid and ipc namespaces (and network
 * when `network` is false), all capabilities dropped (as root bwrap keeps them otherwise, and
 * `mount -o remount,rw /` then undoes the read-only root), a read-only root, a fresh /proc (the
 * eval sees only its own processes, not autoexp's /proc/<pid>/environ), private /tmp, /run and
 * HOME, the slot as the only writable place and the cwd. The sandbox dies with its parent, and
 * with it every process inside (the pid namespace ends with its first process). Run the spec
 * through fitSandboxSpec first (HOME and hidden paths must exist); declared paths that vanish
 * after that are skipped by bwrap itself (`-try`). Environment is not set here: spawn bwrap with
 * evalEnvironment(...) (values in argv would be readable in /proc/<pid>/cmdline). Pure.
 */
export function sandboxArgv(spec: SandboxSpec, command: SandboxCommand): string[] {
  const slot = checkedPath(spec.slotDir, "slotDir");
  const home = checkedPath(spec.home, "home");
  const program = typeof command === "string" ? ["/bin/sh", "-c", command] : [...command];
  if (program.length === 0 || !program[0]) throw new Error("sandboxArgv: empty command");

  const tmpfs = (path: string) => ["--tmpfs", path];
  const roBind = (path: string) => ["--ro-bind-try", path, path];
  const mounts: Mount[] = [
    spec.devices === "host"
      ? { path: "/dev", args: (p) => ["--dev-bind", p, p] }
      : { path: "/dev", args: (p) => ["--dev", p] },
    ...(spec.devices === "host" ? [] : spec.devices).map((d) => ({
      path: checkedPath(d, "devices"),
      args: (p: string) => ["--dev-bind-try", p, p],
    })),
    { path: "/proc", args: (p) => ["--proc", p] },
    { path: "/tmp", args: tmpfs },
    { path: "/run", args: tmpfs },
    ...(spec.network ? RESOLVER_FILES.map((path) => ({ path, args: roBind })) : []),
    ...(spec.hide ?? []).map((p) => ({ path: checkedPath(p, "hide"), args: tmpfs })),
    { path: home, args: tmpfs },
    ...spec.readOnly.map((p) => ({ path: checkedPath(p, "readOnly"), args: roBind })),
    ...spec.writable.map((p) => ({
      path: checkedPath(p, "writable"),
      args: (q: string) => ["--bind-try", q, q],
    })),
    { path: slot, args: (p) => ["--bind", p, p] },
  ];
  return [
    spec.bwrap ?? "bwrap",
    "--unshare-pid",
    "--unshare-ipc",
    ...(spec.network ? [] : ["--unshare-net"]),
    "--cap-drop",
    "ALL",
    "--die-with-parent",
    // The command itself is the namespace's first process: the moment it exits, the kernel
    // ends every process left in the namespace (a daemon gets no window to outlive the eval).
    // A string command's first process is /bin/sh, which (dash) forks the program rather than
    // exec it: the program is pid 2 and ends a moment before the shell, but nothing outlives
    // the shell, and bwrap, which autoexp waits for, exits only after the namespace is empty.
    "--as-pid-1",
    "--new-session",
    "--ro-bind",
    "/",
    "/",
    // A mount hides what lies under it, so parents go first: the slot and paths declared inside
    // HOME or /tmp land on top of the tmpfs, whatever order the caller listed them in.
    ...byDepth(mounts).flatMap((m) => m.args(m.path)),
    "--chdir",
    slot,
    "--",
    ...program,
  ];
}

/** Stable sort by the number of path components: an ancestor always sorts before its descendants. */
function byDepth(mounts: readonly Mount[]): Mount[] {
  const depth = (p: string) => p.split("/").filter(Boolean).length;
  return mounts
    .map((m, i) => ({ m, i }))
    .sort((a, b) => depth(a.m.path) - depth(b.m.path) || a.i - b.i)
    .map(({ m }) => m);
}

/** An absolute, normalised path other than "/"; anything else is a caller's bug. */
function checkedPath(path: string, field: string): string {
  if (!isAbsolute(path) || path.includes("\0"))
    throw new Error(`sandboxArgv: ${field} must be an absolute path, got ${JSON.stringify(path)}`);
  const clean = normalize(path).replace(/\/+$/, "");
  if (clean === "" || clean.split("/").includes(".."))
    throw new Error(`sandboxArgv: ${field} must not be / or contain .., got ${path}`);
  return clean;
}

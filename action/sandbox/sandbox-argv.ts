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
  /** For a writable path, the host folder bound there instead (a run's own copy of a cache). */
  writableFrom?: Readonly<Record<string, string>>;
  /** false: a new network namespace, with only its own loopback (the host's is unreachable). */
  network: boolean;
  /**
   * Device nodes bound from the host over a minimal private /dev (null, zero, random, tty, shm):
   * findGpuDevices() gives the GPUs'. "host" binds the whole host /dev instead: raw disks
   * included, which a root eval can then write (see DESIGN.md, "Trust boundary").
   */
  devices: readonly string[] | "host";
  /** Host folders covered by an empty tmpfs (the user's .git, a runner's folder). /run always is. */
  hide?: readonly string[];
  /**
   * The allow-listed root: system folders bound read-only at their paths (SYSTEM_ROOTS when
   * absent; missing ones are skipped). Nothing else of the host is visible: not the user's
   * working tree, not other users' homes, not /var, /srv, /mnt or /opt (a tool there is bound by
   * its PATH entry, see toolRoots).
   */
  system?: readonly string[];
  /** Files inside the system folders replaced by an empty one (/etc/shadow): they must exist. */
  blank?: readonly string[];
  /** Bytes each private tmpfs (/tmp, /var/tmp, /dev/shm, HOME) may hold; absent: the kernel's half of RAM. */
  tmpSize?: number;
  /** The working directory, when not the slot (an agent works in its worktree beside its scratch). */
  cwd?: string;
}

/**
 * The folders an allow-listed root is made of: programs, libraries, configuration and the
 * kernel's /sys (GPU stacks read topology there). /etc is bound minus SECRET_SYSTEM_PATHS.
 */
export const SYSTEM_ROOTS = [
  "/usr",
  "/bin",
  "/sbin",
  "/lib",
  "/lib32",
  "/lib64",
  "/libx32",
  "/etc",
  "/sys",
  "/nix",
  "/snap",
];

/**
 * What a system folder holds that only root should read: password hashes, sudo rules, the
 * host's ssh keys and TLS private keys. A sandboxed process may run as root (with no
 * capabilities, it still owns root's files): these are covered, files by an empty file and
 * folders by an empty tmpfs.
 */
export const SECRET_SYSTEM_PATHS = {
  files: [
    "/etc/shadow",
    "/etc/shadow-",
    "/etc/gshadow",
    "/etc/gshadow-",
    "/etc/sudoers",
    "/etc/security/opasswd",
  ],
  folders: [
    "/etc/ssh",
    "/etc/ssl/private",
    "/etc/sudoers.d",
    "/etc/credstore",
    "/etc/credstore.encrypted",
  ],
} as const;

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
 * `mount -o remount,rw /` then undoes a read-only root), an allow-listed root (the system
 * folders, read-only, minus their secrets; then only what is declared), a fresh /proc with no
 * host /proc under it (the process sees only its own namespace, not autoexp's
 * /proc/<pid>/environ), private /tmp, /var/tmp, /run and HOME of bounded size, the slot (and the
 * declared writable paths) as the only writable places. The sandbox dies with its parent, and
 * with it every process inside (the pid namespace ends with its first process). Run the spec
 * through fitSandboxSpec first (HOME and hidden paths must exist); declared paths that vanish
 * after that are skipped by bwrap itself (`-try`). Environment is not set here: spawn bwrap with
 * evalEnvironment(...) (values in argv would be readable in /proc/<pid>/cmdline). Pure.
 */
export function sandboxArgv(spec: SandboxSpec, command: SandboxCommand): string[] {
  const slot = checkedPath(spec.slotDir, "slotDir");
  const home = checkedPath(spec.home, "home");
  if (typeof command !== "string" && (command.length === 0 || !command[0]))
    throw new Error("sandboxArgv: empty command");
  // One pid layout for both forms: the namespace's first process is always /bin/sh, and the
  // command runs under it as a string (`sh -c command`) or as argv (`sh -c '"$@"' sh argv...`,
  // the words passed as they are, never parsed). A program cannot tell from its pid which form,
  // or which run, started it.
  const program =
    typeof command === "string"
      ? ["/bin/sh", "-c", command]
      : ["/bin/sh", "-c", '"$@"', "sh", ...command];

  const cwd = spec.cwd ? checkedPath(spec.cwd, "cwd") : slot;
  const sized = spec.tmpSize ? ["--size", String(Math.floor(spec.tmpSize))] : [];
  const tmpfs = (path: string) => [...sized, "--tmpfs", path];
  const roBind = (path: string) => ["--ro-bind-try", path, path];
  const mounts: Mount[] = [
    ...(spec.system ?? SYSTEM_ROOTS).map((p) => ({ path: checkedPath(p, "system"), args: roBind })),
    ...(spec.blank ?? []).map((p) => ({
      path: checkedPath(p, "blank"),
      args: (q: string) => ["--ro-bind", "/dev/null", q],
    })),
    spec.devices === "host"
      ? { path: "/dev", args: (p) => ["--dev-bind", p, p] }
      : { path: "/dev", args: (p) => ["--dev", p] },
    ...(spec.devices === "host" ? [] : [{ path: "/dev/shm", args: tmpfs }]),
    ...(spec.devices === "host" ? [] : spec.devices).map((d) => ({
      path: checkedPath(d, "devices"),
      args: (p: string) => ["--dev-bind-try", p, p],
    })),
    { path: "/proc", args: (p) => ["--proc", p] },
    { path: "/tmp", args: tmpfs },
    { path: "/var/tmp", args: tmpfs },
    { path: "/run", args: tmpfs },
    ...(spec.network ? RESOLVER_FILES.map((path) => ({ path, args: roBind })) : []),
    ...(spec.hide ?? []).map((p) => ({ path: checkedPath(p, "hide"), args: tmpfs })),
    { path: home, args: tmpfs },
    ...spec.readOnly.map((p) => ({ path: checkedPath(p, "readOnly"), args: roBind })),
    ...spec.writable.map((p) => ({
      path: checkedPath(p, "writable"),
      args: (q: string) => ["--bind-try", spec.writableFrom?.[p] ?? q, q],
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
    // The shell that runs the command is the namespace's first process: the moment it exits,
    // the kernel ends every process left in the namespace (a daemon gets no window to outlive
    // the eval). It (dash) forks the program rather than exec it: the program is pid 2 and ends
    // a moment before the shell, but nothing outlives the shell, and bwrap, which autoexp waits
    // for, exits only after the namespace is empty.
    "--as-pid-1",
    "--new-session",
    // A mount hides what lies under it, so parents go first: the slot and paths declared inside
    // HOME or /tmp land on top of the tmpfs, whatever order the caller listed them in.
    ...byDepth(mounts).flatMap((m) => m.args(m.path)),
    // The root itself is bwrap's tmpfs, the mount points' parents: read-only once they are made
    // (not recursive: the slot, /tmp and HOME stay writable).
    "--remount-ro",
    "/",
    "--chdir",
    cwd,
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

import { describe, expect, it } from "vitest";
import { type SandboxSpec, SYSTEM_ROOTS, sandboxArgv } from "../../action/sandbox/sandbox-argv.ts";

const SPEC: SandboxSpec = {
  bwrap: "/usr/bin/bwrap",
  slotDir: "/home/u/repo/.git/autoexp/t/slot",
  home: "/home/u",
  readOnly: [],
  writable: [],
  network: true,
  devices: [],
};

/** The mount options in order, as [option, path] pairs. */
function mounts(argv: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < argv.length && argv[i] !== "--"; i++) {
    const a = argv[i]!;
    if (["--tmpfs", "--dev", "--proc", "--chdir"].includes(a)) out.push([a, argv[++i]!]);
    else if (a === "--size") i++;
    else if (/^--(ro-|dev-)?bind(-try)?$/.test(a)) {
      out.push([a, argv[i + 2]!]);
      i += 2;
    }
  }
  return out;
}

const index = (argv: string[], option: string, path: string) =>
  mounts(argv).findIndex(([o, p]) => o === option && p === path);

describe("sandboxArgv", () => {
  it("starts with the namespaces, drops every capability, and ends with -- and the command", () => {
    const argv = sandboxArgv(SPEC, ["python", "train.py"]);
    expect(argv.slice(0, 10)).toEqual([
      "/usr/bin/bwrap",
      "--unshare-pid",
      "--unshare-ipc",
      "--cap-drop",
      "ALL",
      "--die-with-parent",
      "--as-pid-1",
      "--new-session",
      "--ro-bind-try",
      "/usr",
    ]);
    // argv runs under the same /bin/sh as a string does (one pid layout), its words unparsed.
    expect(argv.slice(-7)).toEqual(["--", "/bin/sh", "-c", '"$@"', "sh", "python", "train.py"]);
  });

  it("builds the root from an allow-list: system folders read-only, never the host's / or /proc", () => {
    const argv = sandboxArgv(SPEC, ["true"]);
    const roots = mounts(argv)
      .filter(([o, p]) => o === "--ro-bind-try" && !p.startsWith("/run/"))
      .map(([, p]) => p);
    expect(roots).toEqual([...SYSTEM_ROOTS]);
    for (const [o, p] of mounts(argv)) {
      expect(p, `${o} ${p}`).not.toBe("/");
      if (o !== "--proc") expect(p.startsWith("/proc"), `${o} ${p}`).toBe(false);
    }
    // Nothing of the user's home, /var, /opt or /work unless declared.
    for (const p of ["/home", "/var", "/opt", "/work", "/root", "/srv", "/mnt"])
      expect(mounts(argv).some(([o, q]) => o !== "--tmpfs" && q === p)).toBe(false);
  });

  it("covers secret system files with an empty one and sizes every private tmpfs", () => {
    const argv = sandboxArgv(
      { ...SPEC, system: ["/usr", "/etc"], blank: ["/etc/shadow"], tmpSize: 1 << 20 },
      ["true"],
    );
    const at = argv.indexOf("/etc/shadow");
    expect(argv.slice(at - 2, at + 1)).toEqual(["--ro-bind", "/dev/null", "/etc/shadow"]);
    expect(index(argv, "--ro-bind-try", "/etc")).toBeLessThan(
      index(argv, "--ro-bind", "/etc/shadow"),
    );
    for (const p of ["/tmp", "/var/tmp", "/dev/shm", "/home/u"]) {
      const i = argv.findIndex((a, k) => a === "--tmpfs" && argv[k + 1] === p);
      expect(argv.slice(i - 2, i), p).toEqual(["--size", String(1 << 20)]);
    }
  });

  it("runs a string command under /bin/sh -c, unchanged", () => {
    const argv = sandboxArgv(SPEC, "node eval.js > out.txt; echo $HOME");
    expect(argv.slice(-4)).toEqual(["--", "/bin/sh", "-c", "node eval.js > out.txt; echo $HOME"]);
  });

  it("adds a network namespace only when the network is off", () => {
    expect(sandboxArgv(SPEC, ["true"])).not.toContain("--unshare-net");
    expect(sandboxArgv({ ...SPEC, network: false }, ["true"])).toContain("--unshare-net");
  });

  it("mounts the slot on top of the private HOME it lives in, writable, and runs there", () => {
    const argv = sandboxArgv(SPEC, ["true"]);
    expect(index(argv, "--tmpfs", "/home/u")).toBeGreaterThan(-1);
    expect(index(argv, "--bind", SPEC.slotDir)).toBeGreaterThan(index(argv, "--tmpfs", "/home/u"));
    expect(mounts(argv).at(-1)).toEqual(["--chdir", SPEC.slotDir]);
  });

  it("orders mounts parents first, whatever order they were declared in", () => {
    const argv = sandboxArgv(
      {
        ...SPEC,
        slotDir: "/tmp/slot",
        readOnly: ["/tmp/slot/data", "/home/u/.venv", "/home/u/.venv/lib/big"],
        writable: ["/home/u/.cache/ccache"],
        hide: ["/home/u/repo/.git"],
      },
      ["true"],
    );
    const at = (o: string, p: string) => index(argv, o, p);
    expect(at("--tmpfs", "/tmp")).toBeLessThan(at("--bind", "/tmp/slot"));
    expect(at("--bind", "/tmp/slot")).toBeLessThan(at("--ro-bind-try", "/tmp/slot/data"));
    expect(at("--tmpfs", "/home/u")).toBeLessThan(at("--ro-bind-try", "/home/u/.venv"));
    expect(at("--ro-bind-try", "/home/u/.venv")).toBeLessThan(
      at("--ro-bind-try", "/home/u/.venv/lib/big"),
    );
    expect(at("--tmpfs", "/home/u")).toBeLessThan(at("--bind-try", "/home/u/.cache/ccache"));
    expect(at("--tmpfs", "/home/u")).toBeLessThan(at("--tmpfs", "/home/u/repo/.git"));
  });

  it("binds declared paths with -try, so a missing one is skipped instead of failing the eval", () => {
    const argv = sandboxArgv({ ...SPEC, readOnly: ["/data"], writable: ["/cache"] }, ["true"]);
    expect(index(argv, "--ro-bind-try", "/data")).toBeGreaterThan(-1);
    expect(index(argv, "--bind-try", "/cache")).toBeGreaterThan(-1);
    // The slot is not optional: without it there is nothing to run.
    expect(index(argv, "--bind", SPEC.slotDir)).toBeGreaterThan(-1);
  });

  it("gives a fresh /proc, private /tmp and /run, and brings back only the resolver files with network on", () => {
    const on = sandboxArgv(SPEC, ["true"]);
    for (const [o, p] of [
      ["--proc", "/proc"],
      ["--tmpfs", "/tmp"],
      ["--tmpfs", "/run"],
    ] as const)
      expect(index(on, o, p)).toBeGreaterThan(-1);
    const fromRun = mounts(on).filter(([o, p]) => o !== "--tmpfs" && p.startsWith("/run/"));
    expect(fromRun.every(([o, p]) => o === "--ro-bind-try" && /resolv\.conf$/.test(p))).toBe(true);
    expect(fromRun.length).toBeGreaterThan(0);
    const off = sandboxArgv({ ...SPEC, network: false }, ["true"]);
    expect(mounts(off).filter(([, p]) => p.startsWith("/run/"))).toEqual([]);
  });

  it("makes a minimal /dev with the listed device nodes, or binds the host's /dev when asked", () => {
    const gpus = sandboxArgv({ ...SPEC, devices: ["/dev/nvidia0", "/dev/nvidiactl"] }, ["true"]);
    expect(index(gpus, "--dev", "/dev")).toBeLessThan(
      index(gpus, "--dev-bind-try", "/dev/nvidia0"),
    );
    expect(index(gpus, "--dev-bind-try", "/dev/nvidiactl")).toBeGreaterThan(-1);
    expect(index(gpus, "--dev-bind", "/dev")).toBe(-1);
    const host = sandboxArgv({ ...SPEC, devices: "host" }, ["true"]);
    expect(index(host, "--dev-bind", "/dev")).toBeGreaterThan(-1);
    expect(index(host, "--dev", "/dev")).toBe(-1);
  });

  it("never puts a path from data where bwrap would read an option", () => {
    const argv = sandboxArgv({ ...SPEC, readOnly: ["/data/--chdir"] }, ["--version"]);
    expect(argv.slice(-6)).toEqual(["--", "/bin/sh", "-c", '"$@"', "sh", "--version"]);
  });

  it.each([
    ["a relative slot", { slotDir: "slot" }],
    ["a relative read-only path", { readOnly: ["~/.cache"] }],
    ["the root as HOME", { home: "/" }],
  ])("refuses %s (a caller's bug)", (_name, patch) => {
    expect(() => sandboxArgv({ ...SPEC, ...patch }, ["true"])).toThrow(/sandboxArgv/);
  });

  it("refuses an empty command", () => {
    expect(() => sandboxArgv(SPEC, [])).toThrow(/empty command/);
  });
});

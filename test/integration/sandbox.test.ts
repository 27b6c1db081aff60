import { spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:net";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { evalEnvironment } from "../../action/sandbox/eval-environment.ts";
import { findGpuDevices } from "../../action/sandbox/find-gpu-devices.ts";
import { fitSandboxSpec } from "../../action/sandbox/fit-sandbox-spec.ts";
import { probeSandbox, runSandboxProbe } from "../../action/sandbox/probe-sandbox.ts";
import {
  type SandboxCommand,
  type SandboxSpec,
  sandboxArgv,
} from "../../action/sandbox/sandbox-argv.ts";

const probe = await probeSandbox();
const SKIPPED = probe.ok ? "" : ` (SKIPPED: ${probe.why}. To run them: ${probe.install})`;
if (!probe.ok) console.warn(`sandbox tests skipped: ${probe.why}. To run them: ${probe.install}`);
const bwrap = probe.ok ? probe.bwrap : "bwrap";
const NODE = process.execPath;

// Under /var/tmp, not /tmp: the sandbox's /tmp is private, and these folders stand for a user's
// repository that the sandbox must see read-only.
const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function base(): string {
  const dir = mkdtempSync("/var/tmp/autoexp-sandbox-test-");
  made.push(dir);
  return dir;
}

/** A repository-like layout: repo/.git, the slot inside .git (as the engine places it), a HOME. */
function layout(options: { repoInHome?: boolean } = {}) {
  const root = base();
  const home = join(root, "home");
  const repo = options.repoInHome ? join(home, "repo") : join(root, "repo");
  const slot = join(repo, ".git", "autoexp", "t", "slot");
  mkdirSync(slot, { recursive: true });
  mkdirSync(join(home, ".ssh"), { recursive: true });
  writeFileSync(join(home, ".ssh", "id_ed25519"), "PRIVATE KEY\n");
  writeFileSync(join(repo, ".git", "config"), "[core]\n");
  writeFileSync(join(repo, "train.js"), "// the user's checkout\n");
  return { root, home, repo, slot };
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command sandboxed with an allow-listed environment; async so loopback servers answer. */
function sandboxed(
  spec: Omit<SandboxSpec, "bwrap" | "readOnly" | "writable" | "network" | "devices"> &
    Partial<SandboxSpec>,
  command: SandboxCommand,
): Promise<Ran> {
  const full: SandboxSpec = {
    bwrap,
    readOnly: [],
    writable: [],
    network: false,
    devices: [],
    ...spec,
  };
  const env = evalEnvironment(process.env, { passEnv: [], set: {}, home: full.home });
  const argv = sandboxArgv(full, command);
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => {
      stdout += c;
    });
    child.stderr.on("data", (c) => {
      stderr += c;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Host pids running `sleep <seconds>` (a duration unique to the test marks its processes). */
function hostProcesses(seconds: string): number[] {
  return readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, "utf8") === `sleep\0${seconds}\0`;
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

function listen(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer((socket) => socket.end("pong"));
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve({ server, port: typeof address === "object" && address ? address.port : 0 });
    });
  });
}

const CONNECT = (port: number) =>
  [
    NODE,
    "-e",
    `require("node:net").connect(${port}, "127.0.0.1")
      .on("data", (d) => { console.log("reached " + d); process.exit(0); })
      .on("error", (e) => { console.log("blocked " + e.code); process.exit(0); });`,
  ] as const;

describe("probeSandbox", () => {
  it("says plainly how to install bubblewrap when it is not on PATH", async () => {
    const missing = await runSandboxProbe({ PATH: "/nonexistent" });
    expect(missing).toEqual({
      ok: false,
      why: "bubblewrap (bwrap) is not on PATH",
      install: expect.stringContaining("apt-get install bubblewrap"),
    });
  });

  it.skipIf(!probe.ok)("finds a working bwrap here, once per process", async () => {
    expect(probe).toEqual({ ok: true, bwrap: expect.stringMatching(/bwrap$/) });
    expect(await probeSandbox()).toBe(probe);
  });
});

describe.skipIf(!probe.ok)(`a command in the sandbox${SKIPPED}`, () => {
  it("cannot read a parent's /proc/<pid>/environ: it sees only its own processes", async () => {
    const { slot, home } = layout();
    const secret = `sk-secret-${process.pid}-${Date.now()}`;
    // The parent stands for autoexp: a key in its environment, the eval spawned with a clean one.
    const inside = [
      'echo "pids: $(ls /proc | grep -c "^[0-9]")"',
      'cat /proc/"$HOST_PARENT"/environ 2>/dev/null | tr "\\0" "\\n" | grep -c "$1" || true',
      'cat /proc/[0-9]*/environ 2>/dev/null | tr "\\0" "\\n" | grep -c "$1" || true',
    ].join("; ");
    const parent = `
      const { spawnSync } = require("node:child_process");
      const argv = JSON.parse(process.argv[1]);
      const env = JSON.parse(process.argv[2]);
      const r = spawnSync(argv[0], argv.slice(1).concat([process.env.SECRET_FOR_TEST]), {
        env: { ...env, HOST_PARENT: String(process.pid) }, encoding: "utf8" });
      process.stdout.write(r.stdout + r.stderr);
      const own = require("node:fs").readFileSync("/proc/" + process.pid + "/environ", "utf8");
      process.stdout.write("host can read it: " + own.includes(process.env.SECRET_FOR_TEST) + "\\n");
    `;
    const argv = sandboxArgv(
      { bwrap, slotDir: slot, home, readOnly: [], writable: [], network: false, devices: [] },
      ["/bin/sh", "-c", inside, "sh"],
    );
    const env = evalEnvironment(process.env, { passEnv: [], set: {}, home });
    const out = await new Promise<string>((resolve) => {
      const child = spawn(NODE, ["-e", parent, JSON.stringify(argv), JSON.stringify(env)], {
        env: { ...process.env, SECRET_FOR_TEST: secret },
      });
      let text = "";
      child.stdout.on("data", (c) => {
        text += c;
      });
      child.on("close", () => resolve(text));
    });
    const [pids, parentHits, allHits, control] = out.trim().split("\n");
    expect(Number(pids!.replace("pids: ", ""))).toBeLessThan(6);
    expect(parentHits).toBe("0");
    expect(allHits).toBe("0");
    // The same read from outside the sandbox finds the key: the test is not vacuous.
    expect(control).toBe("host can read it: true");
  });

  it("cannot write the repository, its .git, the host's /tmp or HOME; only the slot", async () => {
    const { slot, home, repo } = layout();
    const mark = `autoexp-sandbox-escape-${process.pid}-${Date.now()}`;
    const ran = await sandboxed({ slotDir: slot, home }, [
      "/bin/sh",
      "-c",
      [
        `echo hook > ${repo}/.git/hooks-post-commit 2>/dev/null && echo wrote-git`,
        `echo x >> ${repo}/.git/config 2>/dev/null && echo wrote-config`,
        `echo x >> ${repo}/train.js 2>/dev/null && echo wrote-repo`,
        `echo x > /tmp/${mark} && echo wrote-private-tmp`,
        `echo x > "$HOME/${mark}" && echo wrote-private-home`,
        `echo x > /var/tmp/${mark} 2>/dev/null && echo wrote-var-tmp`,
        "echo 42 > result.txt && echo wrote-slot",
        "pwd",
      ].join("; "),
    ]);
    // The repository lies under /var/tmp here, and the slot's mount point under it: its parents exist
    // in the sandbox's private /var/tmp, so writes there succeed and land in that tmpfs, gone
    // with the sandbox. The host's files are what must be unchanged.
    expect(ran.stdout.trim().split("\n")).toEqual([
      "wrote-git",
      "wrote-config",
      "wrote-repo",
      "wrote-private-tmp",
      "wrote-private-home",
      "wrote-var-tmp",
      "wrote-slot",
      slot,
    ]);
    expect(readFileSync(join(repo, "train.js"), "utf8")).toBe("// the user's checkout\n");
    expect(readFileSync(join(repo, ".git", "config"), "utf8")).toBe("[core]\n");
    expect(existsSync(join(repo, ".git", "hooks-post-commit"))).toBe(false);
    expect(existsSync(`/tmp/${mark}`)).toBe(false);
    expect(existsSync(join(home, mark))).toBe(false);
    expect(existsSync(`/var/tmp/${mark}`)).toBe(false);
    expect(readFileSync(join(slot, "result.txt"), "utf8")).toBe("42\n");
  });

  it("sees only the system folders and what is declared: not the working tree's .env, not a 0600 file elsewhere, not /etc/shadow", async () => {
    const { root, slot, home, repo } = layout();
    writeFileSync(join(repo, ".env"), "OPENAI_API_KEY=sk-from-the-dotenv-file\n");
    const runner = join(root, "actions-runner");
    mkdirSync(runner);
    writeFileSync(join(runner, ".credentials"), "runner-credential-value\n", { mode: 0o600 });
    const data = join(root, "declared");
    mkdirSync(data);
    writeFileSync(join(data, "d.txt"), "declared-data\n");
    const { spec } = fitSandboxSpec({
      bwrap,
      slotDir: slot,
      home,
      readOnly: [data],
      writable: [],
      network: false,
      devices: [],
    });
    // The witness: the same commands outside the sandbox read every file.
    const script = [
      `cat ${repo}/.env 2>/dev/null || echo no-dotenv`,
      `cat ${runner}/.credentials 2>/dev/null || echo no-credentials`,
      "cat /etc/shadow 2>/dev/null | head -c 20 | grep -q . && echo shadow || echo no-shadow",
      `cat ${data}/d.txt`,
      "touch /new-at-root 2>/dev/null && echo wrote-root || echo root-read-only",
      "ls / | tr '\\n' ' '",
    ].join("; ");
    const outside = spawnSync("/bin/sh", ["-c", script.split("; ").slice(0, 2).join("; ")]);
    expect(String(outside.stdout)).toContain("sk-from-the-dotenv-file");
    expect(String(outside.stdout)).toContain("runner-credential-value");
    const ran = await sandboxed(spec, ["/bin/sh", "-c", script]);
    const lines = ran.stdout.trim().split("\n");
    expect(lines.slice(0, 5)).toEqual([
      "no-dotenv",
      "no-credentials",
      "no-shadow",
      "declared-data",
      "root-read-only",
    ]);
    // The root holds the system folders and the mount points autoexp made, nothing else.
    for (const name of lines[5]!.trim().split(" "))
      expect([
        "bin",
        "sbin",
        "lib",
        "lib32",
        "lib64",
        "libx32",
        "usr",
        "etc",
        "sys",
        "nix",
        "snap",
        "dev",
        "proc",
        "tmp",
        "var",
        "run",
        "root",
        "home",
      ]).toContain(name);
  });

  it("keeps every capability dropped, also as root: the read-only root cannot be remounted", async () => {
    const { slot, home } = layout();
    const ran = await sandboxed({ slotDir: slot, home }, [
      "/bin/sh",
      "-c",
      "grep CapEff /proc/self/status; mount -o remount,rw / 2>/dev/null && echo remounted; touch /etc/autoexp-escape 2>/dev/null && echo escaped; true",
    ]);
    expect(ran.stdout.trim()).toBe("CapEff:\t0000000000000000");
    expect(existsSync("/etc/autoexp-escape")).toBe(false);
  });

  it("sees a private, empty /tmp and HOME, and none of the host's /run", async () => {
    const { slot, home } = layout();
    const hostTmp = mkdtempSync("/tmp/autoexp-visible-");
    made.push(hostTmp);
    const ran = await sandboxed({ slotDir: slot, home }, [
      "/bin/sh",
      "-c",
      'ls -A /tmp; echo "--"; ls -A "$HOME"; echo "--"; ls -A /run; echo "-- $HOME"; cat ~/.ssh/id_ed25519 2>/dev/null; true',
    ]);
    expect(ran.stdout).toBe(`--\n--\n-- ${home}\n`);
    // The real HOME too: nothing of it shows (its files are the user's, not the eval's).
    const real = await sandboxed({ slotDir: slot, home: homedir() }, [
      "/bin/sh",
      "-c",
      'ls -A "$HOME" | wc -l',
    ]);
    expect(real.stdout.trim()).toBe("0");
  });

  it("hides a repository under HOME but still mounts a slot, a venv and a cache declared inside it", async () => {
    const { slot, home, repo } = layout({ repoInHome: true });
    const venv = join(home, ".venv");
    const cache = join(home, ".cache", "ccache");
    mkdirSync(venv, { recursive: true });
    mkdirSync(cache, { recursive: true });
    writeFileSync(join(venv, "lib.py"), "X = 1\n");
    const ran = await sandboxed(
      { slotDir: slot, home, readOnly: [venv], writable: [cache], hide: [join(repo, ".git")] },
      [
        "/bin/sh",
        "-c",
        [
          `cat ${venv}/lib.py`,
          `echo y > ${venv}/lib.py 2>/dev/null && echo wrote-venv`,
          `echo hit > ${cache}/entry && echo wrote-cache`,
          `cat ${repo}/train.js 2>/dev/null || echo no-checkout`,
          "echo ok > out && echo wrote-slot",
          `ls -A ${home}/.ssh 2>/dev/null || echo no-ssh`,
        ].join("; "),
      ],
    );
    expect(ran.stdout.trim().split("\n")).toEqual([
      "X = 1",
      "wrote-cache",
      "no-checkout",
      "wrote-slot",
      "no-ssh",
    ]);
    expect(readFileSync(join(venv, "lib.py"), "utf8")).toBe("X = 1\n");
    expect(readFileSync(join(cache, "entry"), "utf8")).toBe("hit\n");
    expect(readFileSync(join(slot, "out"), "utf8")).toBe("ok\n");
  });

  it("reads a declared read-only path outside HOME and cannot write it", async () => {
    const { slot, home, root } = layout();
    const data = join(root, "data");
    mkdirSync(data);
    writeFileSync(join(data, "train.bin"), "tokens");
    const ran = await sandboxed({ slotDir: slot, home, readOnly: [data] }, [
      "/bin/sh",
      "-c",
      `cat ${data}/train.bin; echo; rm ${data}/train.bin 2>/dev/null && echo removed; true`,
    ]);
    expect(ran.stdout).toBe("tokens\n");
    expect(existsSync(join(data, "train.bin"))).toBe(true);
  });

  it("runs with declared paths, a HOME and a hidden path that do not exist, once fitted", async () => {
    const { slot } = layout();
    const { spec, warnings } = fitSandboxSpec({
      bwrap,
      slotDir: slot,
      home: "/nonexistent/home",
      readOnly: ["/nonexistent/data"],
      writable: ["/nope/cache"],
      hide: ["/nonexistent/.git"],
      network: false,
      devices: [],
    });
    expect(warnings).toHaveLength(3);
    const ran = await sandboxed(spec, [
      "/bin/sh",
      "-c",
      'echo ran; echo x > "$HOME/f" && echo home-ok',
    ]);
    expect(ran).toMatchObject({ code: 0, stdout: "ran\nhome-ok\n" });
  });

  it("still runs when a fitted path vanishes before bwrap starts (bound with -try)", async () => {
    const { slot, home } = layout();
    const ran = await sandboxed(
      { slotDir: slot, home, readOnly: ["/nonexistent/data"], writable: ["/nope/cache"] },
      ["/bin/sh", "-c", "echo ran"],
    );
    expect(ran).toMatchObject({ code: 0, stdout: "ran\n" });
  });

  it("has no network when it is off: a loopback server on the host is unreachable", async () => {
    const { slot, home } = layout();
    const { server, port } = await listen();
    try {
      // The node running these tests may live under /tmp (a checkout there), private inside
      // the sandbox: its folder is bound read-only, as a declared tool would be.
      const node = [dirname(NODE)];
      const off = await sandboxed(
        { slotDir: slot, home, network: false, readOnly: node },
        CONNECT(port),
      );
      expect(off.stdout.trim()).toBe("blocked ECONNREFUSED");
      // With the network on, loopback is the host's: a local model server stays reachable.
      const on = await sandboxed(
        { slotDir: slot, home, network: true, readOnly: node },
        CONNECT(port),
      );
      expect(on.stdout.trim()).toBe("reached pong");
    } finally {
      server.close();
    }
  });

  it("gets the environment it was spawned with, HOME the private one", async () => {
    const { slot, home } = layout();
    const ran = await sandboxed({ slotDir: slot, home }, ["/bin/sh", "-c", "env | sort"]);
    const names = ran.stdout
      .trim()
      .split("\n")
      .map((l) => l.split("=")[0]);
    expect(names).not.toContain("OPENAI_API_KEY");
    expect(ran.stdout).toContain(`HOME=${home}\n`);
  });

  it("has a minimal /dev: listed device nodes only, /dev/shm writable", async () => {
    const { slot, home } = layout();
    // /dev/full stands for a GPU node: any character device the host has.
    const ran = await sandboxed({ slotDir: slot, home, devices: ["/dev/full"] }, [
      "/bin/sh",
      "-c",
      "ls /dev | tr '\\n' ' '; echo; echo x > /dev/shm/a && echo shm-ok; head -c 3 /dev/zero | wc -c",
    ]);
    const [listing, shm, zero] = ran.stdout.trim().split("\n");
    expect(listing!.split(" ")).toContain("full");
    for (const raw of readdirSync("/dev").filter((d) => /^(sd|nvme|loop|vd|kmsg|mem$)/.test(d)))
      expect(listing!.split(" ")).not.toContain(raw);
    expect(shm).toBe("shm-ok");
    expect(zero).toBe("3");
  });

  it("takes every process down with it when its group is killed, a daemonised grandchild too", async () => {
    const { slot, home } = layout();
    const id = `${process.pid % 1000}${Date.now() % 100000}`;
    const [child, daemon] = [`7${id}.25`, `8${id}.25`];
    const argv = sandboxArgv(
      { bwrap, slotDir: slot, home, readOnly: [], writable: [], network: false, devices: [] },
      `setsid sh -c 'nohup sleep ${daemon} >/dev/null 2>&1 &'; sleep ${child} & wait`,
    );
    const sandbox = spawn(argv[0]!, argv.slice(1), {
      detached: true,
      stdio: "ignore",
      env: evalEnvironment(process.env, { passEnv: [], set: {}, home }),
    });
    expect(
      await until(() => hostProcesses(child).length + hostProcesses(daemon).length === 2, 5000),
    ).toBe(true);
    process.kill(-sandbox.pid!, "SIGKILL");
    expect(
      await until(() => hostProcesses(child).length + hostProcesses(daemon).length === 0, 5000),
    ).toBe(true);
  });

  it("leaves nothing running after a normal exit: a daemon started by the command dies with it", async () => {
    const { slot, home } = layout();
    const daemon = `9${process.pid % 1000}${Date.now() % 100000}.5`;
    const ran = await sandboxed(
      { slotDir: slot, home },
      `setsid sh -c 'nohup sleep ${daemon} >/dev/null 2>&1 &'; sleep 0.2; echo done`,
    );
    expect(ran.stdout).toBe("done\n");
    expect(await until(() => hostProcesses(daemon).length === 0, 3000)).toBe(true);
  });
});

describe("findGpuDevices", () => {
  it("lists the NVIDIA, DRM and AMD nodes of a /dev, not disks or loop devices", () => {
    const dev = base();
    for (const f of ["nvidia0", "nvidiactl", "nvidia-uvm", "kfd", "sda", "loop0", "kmsg", "null"])
      writeFileSync(join(dev, f), "");
    for (const d of ["dri", "nvidia-caps", "shm"]) mkdirSync(join(dev, d));
    expect(findGpuDevices(dev)).toEqual(
      ["dri", "kfd", "nvidia-caps", "nvidia-uvm", "nvidia0", "nvidiactl"].map((n) => join(dev, n)),
    );
    expect(findGpuDevices(join(dev, "missing"))).toEqual([]);
  });
});

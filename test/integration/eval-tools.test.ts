// An eval's interpreter, as a user's shell has it, inside the allow-listed root: an activated
// virtualenv in the repository whose base Python (uv's) lives under HOME, which the sandbox
// otherwise replaces by an empty tmpfs.
import { spawnSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../action/config/parse-config-text.ts";
import { resolveIsolation } from "../../action/engine/isolation.ts";
import { probeSandbox } from "../../action/sandbox/probe-sandbox.ts";
import { tempDir } from "../helpers/repo.ts";

const probe = await probeSandbox();

describe.skipIf(!probe.ok)("tools an eval finds on PATH, sandboxed", () => {
  it("runs an activated virtualenv's python whose base interpreter is under HOME; the rest of HOME stays hidden", async () => {
    const home = tempDir();
    const repo = join(tempDir(), "repo");
    const base = join(home, ".local", "share", "uv", "python", "cpython-3.12-x86_64", "bin");
    mkdirSync(base, { recursive: true });
    writeFileSync(join(base, "python3.12"), "#!/bin/sh\necho base-python-ran\n", { mode: 0o755 });
    mkdirSync(join(repo, ".venv", "bin"), { recursive: true });
    writeFileSync(join(repo, ".venv", "pyvenv.cfg"), `home = ${base}\nversion_info = 3.12\n`);
    symlinkSync(join(base, "python3.12"), join(repo, ".venv", "bin", "python"));
    writeFileSync(join(home, "secret.txt"), "not for the eval\n");
    const slot = join(repo, ".git", "autoexp", "t", "slots", "0", "tree");
    mkdirSync(slot, { recursive: true });
    const parsed = parseConfigText(`
name: tools
target: [a.py]
eval: { command: python a.py, metrics: { s: { goal: minimize } } }
isolation: sandbox
`);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const PATH = `${join(repo, ".venv", "bin")}:/usr/bin:/bin`;
    // The witness: the same line outside the sandbox finds both.
    const outside = spawnSync("/bin/sh", ["-c", `python; cat ${home}/secret.txt`], {
      env: { PATH },
      encoding: "utf8",
    });
    expect(outside.stdout).toBe("base-python-ran\nnot for the eval\n");
    const isolation = await resolveIsolation(parsed.config, repo, join(repo, ".git"), {
      PATH,
      HOME: home,
    });
    const launched = isolation.launch(
      ["/bin/sh", "-c", `python; cat ${home}/secret.txt 2>/dev/null || echo hidden`],
      slot,
      { PATH, HOME: home },
      [],
    );
    const argv = launched.command as string[];
    const ran = spawnSync(argv[0]!, argv.slice(1), { env: launched.env, encoding: "utf8" });
    expect(ran.stdout, ran.stderr).toBe("base-python-ran\nhidden\n");
  });
});

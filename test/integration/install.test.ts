// The package as users get it: `npm pack`, installed into an empty folder, run under the Node
// versions people have. Node 22 and 20 come from the npm registry's `node` package (cached in the
// temp folder across runs); Node 24 is the one running the tests.
import { execFileSync, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/repo.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  version: string;
  engines: { node: string };
};
const INSTALL_TIMEOUT = 300_000;

/** PATH with `nodeDir` first, so `#!/usr/bin/env node` and npm find that node. */
function pathWith(nodeDir: string): string {
  return [nodeDir, ...(process.env.PATH ?? "").split(delimiter)].join(delimiter);
}

function npm(args: string[], cwd: string): string {
  return execFileSync("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, PATH: pathWith(dirname(process.execPath)) },
    timeout: INSTALL_TIMEOUT,
  });
}

/** The folder holding a `node` binary of `major`, installed once from the npm registry. */
function nodeOf(major: number): string {
  const prefix = join(tmpdir(), "autoexp-node-cache", String(major));
  const bin = join(prefix, "node_modules", ".bin");
  if (!existsSync(join(bin, "node"))) {
    mkdirSync(prefix, { recursive: true });
    writeFileSync(
      join(prefix, "package.json"),
      JSON.stringify({ private: true, allowScripts: { node: true } }),
    );
    npm(["install", `node@${major}`], prefix);
  }
  return bin;
}

function du(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) total += du(full);
    else if (entry.isFile()) total += statSync(full).size;
  }
  return total;
}

let installed: string;

beforeAll(() => {
  const packs = tempDir("autoexp-pack-");
  const tarball = npm(["pack", "--pack-destination", packs], ROOT).trim().split("\n").at(-1)!;
  // Not a tempDir(): the helpers remove those after each test, and every test here uses it.
  installed = join(tmpdir(), `autoexp-install-${process.pid}`);
  mkdirSync(installed, { recursive: true });
  writeFileSync(join(installed, "package.json"), JSON.stringify({ private: true }));
  npm(["install", join(packs, tarball)], installed);
}, INSTALL_TIMEOUT);

afterAll(() => rmSync(installed, { recursive: true, force: true }));

function autoexp(nodeDir: string, args: string[], cwd = installed) {
  return spawnSync(join(installed, "node_modules", ".bin", "autoexp"), args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, PATH: pathWith(nodeDir) },
    timeout: 120_000,
  });
}

describe("the published package", () => {
  it("installs alone: no probot or octokit for CLI and Action users, under 15 MB", () => {
    const modules = readdirSync(join(installed, "node_modules")).filter((n) => !n.startsWith("."));
    expect(modules).toEqual(["autoexp"]);
    expect(du(join(installed, "node_modules"))).toBeLessThan(15 * 1024 * 1024);
    for (const file of ["LICENSE", "README.md", "bin/autoexp.js", "dist/cli.js", "dist/action.js"])
      expect(existsSync(join(installed, "node_modules", "autoexp", file)), file).toBe(true);
  });

  it.each([22, 24])(
    "runs on Node %i: --version, then the demo with 3 experiments",
    (major) => {
      const nodeDir = major === 24 ? dirname(process.execPath) : nodeOf(major);
      const version = autoexp(nodeDir, ["--version"]);
      expect(version.stderr).toBe("");
      expect(version.stdout.trim()).toBe(pkg.version);
      expect(version.status).toBe(0);
      expect(
        execFileSync(join(nodeDir, "node"), ["--version"], { encoding: "utf8" }).trim(),
      ).toMatch(new RegExp(`^v${major}\\.`));
      const dir = join(tempDir(), "demo");
      const demo = autoexp(nodeDir, ["demo", "--dir", dir, "--experiments", "3"], tempDir());
      expect(demo.stderr).toBe("");
      expect(demo.status).toBe(0);
      expect(demo.stdout).toMatch(/\[3\/3\] #3 /);
      expect(demo.stdout).toMatch(/done: 3 experiment\(s\) this batch/);
    },
    INSTALL_TIMEOUT,
  );

  it(
    "stops on Node 20 before anything, with one line naming both versions and the fix, exit 2",
    () => {
      const nodeDir = nodeOf(20);
      const dir = tempDir();
      const run = autoexp(nodeDir, ["demo", "--dir", join(dir, "demo")], dir);
      expect(run.status).toBe(2);
      expect(run.stdout).toBe("");
      const lines = run.stderr.trimEnd().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^autoexp needs Node\.js 22\.18 or newer, and this is Node\.js 20\.\d+\.\d+ \(.*\): install Node\.js 24 \(https:\/\/nodejs\.org, or `nvm install 24`\) and run autoexp again$/,
      );
      expect(readdirSync(dir)).toEqual([]);
    },
    INSTALL_TIMEOUT,
  );

  it("the launcher's version floor is package.json's engines.node", () => {
    const launcher = readFileSync(join(ROOT, "bin", "autoexp.js"), "utf8");
    const floor = /const NEEDED = \[(\d+), (\d+)\]/.exec(launcher);
    expect(floor && `>=${floor[1]}.${floor[2]}`).toBe(pkg.engines.node);
  });
});

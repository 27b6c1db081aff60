// The release as RELEASING.md describes it: scripts/release-check.ts (the tag, package.json,
// CHANGELOG.md and init's `uses:` agree) and .github/workflows/release.yml, which runs it on the
// tag. (GitHub's parser and the pin check read release.yml in github-yaml.test.ts.)
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ACTION_REF } from "../../action/cli/init.ts";
import { changelogSection, releaseProblems } from "../../scripts/release-check.ts";
import { tempDir } from "../helpers/repo.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const text = (file: string) => readFileSync(join(ROOT, file), "utf8");
const pkg = JSON.parse(text("package.json")) as {
  version: string;
  repository: { type: string; url: string };
};
const changelog = text("CHANGELOG.md");

const check = (...args: string[]) =>
  spawnSync(process.execPath, [join(ROOT, "scripts", "release-check.ts"), ...args], {
    encoding: "utf8",
    timeout: 30_000,
  });

describe("scripts/release-check.ts", () => {
  it("passes on this checkout: package.json, CHANGELOG.md and init's uses: name one version", () => {
    const tag = `v${pkg.version}`;
    expect(
      releaseProblems({ tag, packageVersion: pkg.version, changelog, actionRef: ACTION_REF }),
    ).toEqual([]);
    expect(changelogSection(changelog, pkg.version)).toMatch(/^The first release\.\n\n### Added\n/);
    expect(pkg.repository).toEqual({
      type: "git",
      url: "git+https://github.com/autoexp/autoexp.git",
    });
  });

  it("names each disagreement with its file, value and fix", () => {
    expect(
      releaseProblems({
        tag: "0.2.0",
        packageVersion: "0.2.0",
        changelog,
        actionRef: ACTION_REF,
      }),
    ).toEqual([
      'tag "0.2.0": a release tag is v<major>.<minor>.<patch> (e.g. v0.1.0); tag again with that name',
    ]);
    expect(
      releaseProblems({
        tag: "v0.2.0",
        packageVersion: "0.1.0",
        changelog,
        actionRef: "autoexp/autoexp@v0.1.0",
      }),
    ).toEqual([
      'package.json version "0.1.0" is not the tag\'s 0.2.0: run `npm version 0.2.0 --no-git-tag-version` and commit before tagging',
      'CHANGELOG.md has no "## [0.2.0] - YYYY-MM-DD" section: move the Unreleased entries under it, dated the day of the tag',
      'CHANGELOG.md has no link line for the release: add "[0.2.0]: https://github.com/autoexp/autoexp/releases/tag/v0.2.0" at its end',
      'action/cli/init.ts ACTION_REF "autoexp/autoexp@v0.1.0" is not autoexp/autoexp@v0.2.0: the workflows init writes would run another release; set it (and the README\'s uses: and #v lines) to autoexp/autoexp@v0.2.0',
    ]);
    const empty = "## [0.2.0] - 2027-01-02\n\n## [0.1.0] - 2026-12-04\n\n- x\n";
    expect(
      releaseProblems({
        tag: "v0.2.0",
        packageVersion: "0.2.0",
        changelog: `${empty}[0.2.0]: https://github.com/autoexp/autoexp/releases/tag/v0.2.0\n`,
        actionRef: "autoexp/autoexp@v0.2.0",
      }),
    ).toEqual([
      "CHANGELOG.md's [0.2.0] section is empty: say what the release adds, changes and fixes",
    ]);
  });

  it("reads one version's section, to the next heading or the link lines", () => {
    const log = [
      "# Changelog",
      "## [Unreleased]",
      "- soon",
      "## [1.10.0] - 2027-03-01",
      "- ten",
      "## [1.1.0] - 2027-02-01",
      "### Fixed",
      "- one",
      "",
      "[1.10.0]: https://example.invalid",
    ].join("\n");
    expect(changelogSection(log, "1.1.0")).toBe("### Fixed\n- one");
    expect(changelogSection(log, "1.10.0")).toBe("- ten");
    expect(changelogSection(log, "1.0.0")).toBeNull();
  });

  it("run on a tag: writes the notes when all agree; exit 2 and nothing written when not", () => {
    const dir = tempDir();
    const good = check(`v${pkg.version}`, "--notes", join(dir, "notes.md"));
    expect(good.stderr).toBe("");
    expect(good.status).toBe(0);
    expect(readFileSync(join(dir, "notes.md"), "utf8")).toBe(
      `${changelogSection(changelog, pkg.version)}\n`,
    );

    const bad = check("v9.9.9", "--notes", join(dir, "bad.md"));
    expect(bad.status).toBe(2);
    expect(bad.stderr.split("\n")[0]).toBe("release v9.9.9: 4 problem(s); nothing was written");
    expect(bad.stderr).toContain('package.json version "0.1.0" is not the tag\'s 9.9.9');
    expect(existsSync(join(dir, "bad.md"))).toBe(false);
  });
});

describe(".github/workflows/release.yml", () => {
  type Step = { uses?: string; run?: string; with?: Record<string, unknown> };
  type Job = {
    needs?: string;
    permissions?: Record<string, string>;
    steps: Step[];
  };
  const workflow = parse(text(".github/workflows/release.yml")) as {
    on: { push: { tags: string[] } };
    permissions: Record<string, string>;
    jobs: Record<string, Job>;
  };

  it("starts on a release tag vX.Y.Z only, not on the major tag it moves", () => {
    expect(Object.keys(workflow.on)).toEqual(["push"]);
    // GitHub's filter syntax: + is one or more of the preceding character class.
    expect(workflow.on.push.tags).toHaveLength(1);
    const pattern = new RegExp(`^${workflow.on.push.tags[0]!.replace(/\./g, "\\.")}$`);
    const matches = (tag: string) => pattern.test(tag);
    expect(["v0.1.0", "v1.12.3"].every(matches)).toBe(true);
    expect(["v0", "v1", "v0.1", "0.1.0", "v0.1.0-rc.1"].some(matches)).toBe(false);
  });

  it("checks the tag, main, dist/ and the tests with a read-only token before the release job writes", () => {
    expect(workflow.permissions).toEqual({ contents: "read" });
    const { check: checks, release } = workflow.jobs;
    const runs = checks!.steps.map((s) => s.run ?? "").join("\n");
    for (const command of [
      "node scripts/release-check.ts",
      "git merge-base --is-ancestor",
      "node scripts/build.ts --check",
      "npm test",
    ])
      expect(runs).toContain(command);
    expect(checks!.permissions).toBeUndefined();
    expect(checks!.steps[0]!.with).toMatchObject({ "persist-credentials": false });

    expect(release!.needs).toBe("check");
    expect(release!.permissions).toEqual({ contents: "write" });
    // It runs nothing from the repository or npm: no checkout, no install, only gh.
    expect(release!.steps.every((s) => s.uses === undefined)).toBe(true);
    const script = release!.steps.map((s) => s.run).join("\n");
    expect(script).not.toMatch(/\bnpm\b|\bnode\b/);
    expect(script).toContain("gh release create");
    expect(script).toContain("git/refs/tags/$major");
  });

  it("RELEASING.md names only scripts that exist, and the workflow", () => {
    const doc = text("RELEASING.md");
    const scripts = [...doc.matchAll(/node (scripts\/[\w-]+\.ts)/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    for (const s of scripts) expect(existsSync(join(ROOT, s)), s).toBe(true);
    expect(doc).toContain(".github/workflows/release.yml");
  });
});

// Every YAML file GitHub reads from autoexp, through GitHub's parser: the action.yml we ship, our
// own workflows, and the workflows `autoexp init` writes (one runner, and a matrix of 4).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { actionErrors, workflowErrors } from "../helpers/github-yaml.ts";
import { read, runCli, tempDir } from "../helpers/repo.ts";

const ROOT = join(import.meta.dirname, "..", "..");

describe("GitHub's parser (@actions/workflow-parser)", () => {
  it("finds an error where GitHub does: an expression in an input's description", () => {
    const broken = `name: x
description: x
inputs:
  shard:
    description: "shard \${{ matrix.shard }}"
runs: { using: node24, main: a.js }
`;
    expect(actionErrors("action.yml", broken).join("\n")).toMatch(
      /Unrecognized named-value: 'matrix'/,
    );
  });

  it("loads action.yml with no error", () => {
    expect(actionErrors("action.yml", readFileSync(join(ROOT, "action.yml"), "utf8"))).toEqual([]);
  });

  it("loads every workflow in .github/workflows with no error", () => {
    const dir = join(ROOT, ".github", "workflows");
    const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files)
      expect(workflowErrors(f, readFileSync(join(dir, f), "utf8")), f).toEqual([]);
  });

  it.each([
    ["one runner", [] as string[]],
    ["a matrix of 4", ["--shards", "4"]],
  ])("loads the workflow init writes (%s) with no error", (_name, extra) => {
    const dir = tempDir();
    const run = runCli(dir, ["init", "--program", "performance", ...extra]);
    expect(run.code, run.stderr).toBe(0);
    const text = read(dir, ".github/workflows/autoexp.yml");
    expect(workflowErrors("autoexp.yml", text)).toEqual([]);
  });
});

// Every YAML file GitHub reads from autoexp, through GitHub's parser: the action.yml we ship, our
// own workflows, and the workflows `autoexp init` writes (one runner, and a matrix of 4).
import { chmodSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ACTION_REF } from "../../action/cli/init.ts";
import { actionErrors, workflowErrors } from "../helpers/github-yaml.ts";
import { read, runCli, tempDir, writeFiles } from "../helpers/repo.ts";

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
    ["one runner", [] as string[], null],
    ["a matrix of 4", ["--shards", "4"], null],
    ["for codex, its key passed", [] as string[], "codex"],
    ["for claude, a matrix of 2", ["--shards", "2"], "claude"],
  ])("loads the workflow init writes (%s) with no error", (_name, extra, tool) => {
    const dir = tempDir();
    const bin = tempDir();
    if (tool) {
      writeFiles(bin, { [tool]: "#!/bin/sh\n" });
      chmodSync(join(bin, tool), 0o755);
    }
    const run = runCli(dir, ["init", "--program", "performance", ...extra], {
      PATH: `${bin}:/usr/local/bin:/usr/bin:/bin`,
    });
    expect(run.code, run.stderr).toBe(0);
    const text = read(dir, ".github/workflows/autoexp.yml");
    expect(workflowErrors("autoexp.yml", text)).toEqual([]);
  });
});

/**
 * The first major of each action that runs on Node 24 (`runs.using: node24`). Their release notes:
 * checkout v5.0.0 and setup-node v5.0.0 moved to Node 24; upload-artifact v5 and download-artifact
 * v5 and v6 only "support" it and still run on Node 20, which GitHub's runners now warn about.
 */
const NODE24_FROM: Record<string, number> = {
  "actions/checkout": 5,
  "actions/setup-node": 5,
  "actions/upload-artifact": 6,
  "actions/download-artifact": 7,
};

/** Every `uses:` of a workflow: the reference and its trailing comment. */
function usesOf(text: string): { ref: string; comment: string }[] {
  return [...text.matchAll(/^\s*(?:-\s+)?uses:\s*(\S+)[ \t]*(?:#[ \t]*(.*))?$/gm)].map((m) => ({
    ref: m[1]!,
    comment: m[2]?.trim() ?? "",
  }));
}

/** The `uses:` values YAML itself reads (to be sure the lines above missed none). */
function parsedUses(text: string): string[] {
  const workflow = parse(text) as { jobs: Record<string, { steps?: { uses?: string }[] }> };
  return Object.values(workflow.jobs).flatMap((job) =>
    (job.steps ?? []).flatMap((s) => (s.uses ? [s.uses] : [])),
  );
}

/** What is wrong with a workflow's pins: not by full commit, no version comment, a Node 20 major. */
function pinProblems(text: string): string[] {
  const problems: string[] = [];
  const found = usesOf(text);
  if (found.length !== parsedUses(text).length)
    problems.push(`a uses: the pin check cannot read (${parsedUses(text).join(", ")})`);
  for (const { ref, comment } of found) {
    // Our own Action: from this checkout, or by its release tag (init's workflow, the README).
    if (ref.startsWith("./") || ref === ACTION_REF) continue;
    const m = /^([\w.-]+\/[\w.-]+)(\/[\w./-]+)?@([0-9a-f]{40})$/.exec(ref);
    if (!m) {
      problems.push(`${ref}: not pinned by a full commit SHA`);
      continue;
    }
    const version = /^v(\d+)(\.\d+){0,2}\b/.exec(comment);
    if (!version) {
      problems.push(`${ref}: no version comment (# vX.Y.Z) after the SHA`);
      continue;
    }
    const from = NODE24_FROM[m[1]!];
    if (from !== undefined && Number(version[1]) < from)
      problems.push(`${m[1]} ${version[0]}: a Node 20 major; v${from} is the first on Node 24`);
  }
  return problems;
}

/** The workflows GitHub would run: this repository's, and what init writes (1 and 4 runners). */
function shippedWorkflows(): [string, string][] {
  const dir = join(ROOT, ".github", "workflows");
  const ours = readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f): [string, string] => [f, readFileSync(join(dir, f), "utf8")]);
  const written = ([[], ["--shards", "4"]] as string[][]).map((extra): [string, string] => {
    const at = tempDir();
    const run = runCli(at, ["init", "--program", "performance", ...extra]);
    expect(run.code, run.stderr).toBe(0);
    return [`init ${extra.join(" ")}`.trim(), read(at, ".github/workflows/autoexp.yml")];
  });
  return [...ours, ...written];
}

describe("pinned actions", () => {
  it("finds what it must: a tag, a short SHA, no version comment, a Node 20 major", () => {
    const steps = (...uses: string[]) =>
      `on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n${uses.map((u) => `      - uses: ${u}\n`).join("")}`;
    expect(pinProblems(steps("actions/checkout@v5"))).toEqual([
      "actions/checkout@v5: not pinned by a full commit SHA",
    ]);
    expect(pinProblems(steps("actions/checkout@08c6903"))).toHaveLength(1);
    expect(pinProblems(steps("actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8"))).toEqual(
      [
        "actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8: no version comment (# vX.Y.Z) after the SHA",
      ],
    );
    expect(
      pinProblems(
        steps(
          "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2",
          "actions/download-artifact@018cc2cf5baa6db3ef3c5f8a56943fffe632ef53 # v6.0.0",
          "actions/setup-node@a0853c24544627f65ddf259abe73b1d18a591444 # v5.0.0",
        ),
      ),
    ).toEqual([
      "actions/checkout v4.2.2: a Node 20 major; v5 is the first on Node 24",
      "actions/download-artifact v6.0.0: a Node 20 major; v7 is the first on Node 24",
    ]);
    expect(pinProblems(steps("./", ACTION_REF))).toEqual([]);
  });

  it("every action in our workflows and init's is pinned by commit with its version, at a Node 24 major", () => {
    const workflows = shippedWorkflows();
    expect(workflows.map(([name]) => name)).toEqual(
      expect.arrayContaining(["ci.yml", "init", "init --shards 4"]),
    );
    for (const [name, text] of workflows) {
      expect(usesOf(text).length, name).toBeGreaterThan(0);
      expect(pinProblems(text), name).toEqual([]);
    }
  });

  it("CI runs the Action itself, by uses: ./", () => {
    const ci = parse(readFileSync(join(ROOT, ".github", "workflows", "ci.yml"), "utf8")) as {
      jobs: Record<string, { steps: { uses?: string; with?: Record<string, string> }[] }>;
    };
    const local = Object.values(ci.jobs).flatMap((j) => j.steps.filter((s) => s.uses === "./"));
    expect(local).toHaveLength(1);
    expect(local[0]!.with).toMatchObject({ tag: "ci", experiments: "3" });
  });

  it("Dependabot keeps the actions and the npm packages current", () => {
    const text = readFileSync(join(ROOT, ".github", "dependabot.yml"), "utf8");
    const config = parse(text) as {
      version: number;
      updates: { "package-ecosystem": string; directory: string; schedule: { interval: string } }[];
    };
    expect(config.version).toBe(2);
    expect(config.updates.map((u) => u["package-ecosystem"]).sort()).toEqual([
      "github-actions",
      "npm",
    ]);
    for (const u of config.updates) {
      expect(u.directory).toBe("/");
      expect(["daily", "weekly", "monthly"]).toContain(u.schedule.interval);
    }
  });
});

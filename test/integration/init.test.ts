import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseConfigText } from "../../action/config/load-config.ts";
import { read, runCli, tempDir } from "../helpers/repo.ts";

const FILES = ["autoexp.yml", "program.md", "eval.sh", ".github/workflows/autoexp.yml"];

describe("autoexp init", () => {
  it("writes a valid config, a program, an eval and a safe workflow", () => {
    const dir = tempDir();
    const run = runCli(dir, ["init", "--name", "Night Owl", "--program", "performance"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`wrote ${FILES.join(", ")}`);
    const config = parseConfigText(read(dir, "autoexp.yml"));
    expect(config.ok && config.config.name).toBe("night-owl");
    expect(read(dir, "program.md")).toBe(
      readFileSync(join(import.meta.dirname, "../../templates/program/performance.md"), "utf8"),
    );
    expect(statSync(join(dir, "eval.sh")).mode & 0o111).not.toBe(0);

    const wf = parse(read(dir, ".github/workflows/autoexp.yml"));
    expect(Object.keys(wf.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
    // The inputs the App's /autoexp run dispatches with (GitHub refuses undeclared ones).
    expect(Object.keys(wf.on.workflow_dispatch.inputs).sort()).toEqual([
      "config",
      "experiments",
      "request",
      "tag",
    ]);
    expect(wf["run-name"]).toBe(
      "autoexp ${{ inputs.tag || 'nightly' }}${{ inputs.request && format(' (request {0})', inputs.request) || '' }}",
    );
    expect(wf.concurrency).toEqual({
      group: "autoexp-night-owl-${{ inputs.tag || 'nightly' }}",
      "cancel-in-progress": false,
    });
    expect(wf.permissions).toEqual({ contents: "read" });
    const { experiment, publish } = wf.jobs;
    expect(experiment["runs-on"]).toEqual(["self-hosted", "gpu"]);
    expect(experiment.permissions).toEqual({ contents: "read" });
    expect(publish.permissions).toEqual({ contents: "write" });
    expect(publish.needs).toBe("experiment");
    expect(publish.if).toBe("always()");
    // The job that runs agent code keeps no token in .git/config.
    expect(experiment.steps[0].with).toEqual({ "fetch-depth": 0, "persist-credentials": false });
    const steps = [...experiment.steps, ...publish.steps];
    for (const step of steps.filter((s: { uses?: string }) => s.uses)) {
      if (step.uses.startsWith("actions/"))
        expect(step.uses).toMatch(/^actions\/[a-z-]+@[0-9a-f]{40}$/);
      else expect(step.uses).toMatch(/^autoexp\/autoexp@v\d+\.\d+\.\d+$/);
    }
    // No input ever reaches a shell: no run: steps at all, inputs go through `with:`.
    expect(steps.filter((s: { run?: string }) => s.run)).toEqual([]);
    expect(experiment.steps[1].with).toMatchObject({ mode: "run", tag: "${{ inputs.tag }}" });
    expect(publish.steps.at(-1).with).toMatchObject({ mode: "publish" });
  });

  it("refuses to overwrite anything unless told to", () => {
    const dir = tempDir();
    expect(runCli(dir, ["init"]).code).toBe(0);
    const before = FILES.map((f) => read(dir, f));
    const again = runCli(dir, ["init", "--program", "prompt-optimisation"]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(
      "init would overwrite autoexp.yml, program.md, eval.sh, .github/workflows/autoexp.yml",
    );
    expect(again.stderr).toContain("nothing was written");
    expect(FILES.map((f) => read(dir, f))).toEqual(before);
    const forced = runCli(dir, ["init", "--program", "prompt-optimisation", "--force"]);
    expect(forced.code).toBe(0);
    expect(read(dir, "program.md")).toContain("prompt");
    expect(runCli(dir, ["init", "--program", "quantum", "--force"]).stderr).toContain(
      '--program must be one of ml-training, performance, prompt-optimisation, not "quantum"',
    );
  });
});

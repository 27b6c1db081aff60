// Honest controls: what a hardened autoexp must still keep.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BASELINE, KEPT, type Scenario } from "../../helpers/security-types.ts";
import { honest, say, shWrite } from "./hostile.ts";

const dataset = (dir: string) => join(dir, "dataset");

export const CONTROLS: Scenario[] = [
  {
    name: "control-improvement",
    kind: "control",
    what: "a real improvement of the target is kept with the score its commit reproduces",
    layout: "js",
    agent: () => [shWrite("train.js", honest(8)) + say("lower the score to 8")],
    honest: [BASELINE, KEPT],
  },
  {
    name: "control-busy-eval",
    kind: "control",
    what: "an eval that reads a declared read-only dataset outside the repo, writes /tmp, ~/.cache and a checkpoint, and spawns a child is still kept",
    layout: "js",
    prepare: (ctx) => {
      mkdirSync(dataset(ctx.dir), { recursive: true });
      writeFileSync(join(dataset(ctx.dir), "value.txt"), "2\n");
    },
    readOnly: (ctx) => [dataset(ctx.dir)],
    agent: (ctx) => [
      shWrite(
        "train.js",
        `const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const value = Number(fs.readFileSync(${JSON.stringify(join(dataset(ctx.dir), "value.txt"))}, "utf8"));
fs.writeFileSync(path.join(os.tmpdir(), "scratch-" + process.pid), "tmp");
fs.mkdirSync(path.join(os.homedir(), ".cache", "tool"), { recursive: true });
fs.writeFileSync(path.join(os.homedir(), ".cache", "tool", "entry"), "cache");
fs.writeFileSync("checkpoint.bin", "weights");
require("node:child_process").execFileSync("sh", ["-c", "echo child"], { stdio: "ignore" });
exports.score = () => 10 - value;
`,
      ) + say("use the dataset"),
    ],
    honest: [BASELINE, KEPT],
  },
  {
    name: "control-checks",
    kind: "control",
    what: "a real improvement that passes the user's checks is kept",
    layout: "js",
    checks: true,
    agent: () => [
      shWrite("train.js", "exports.valid = true;\nexports.score = () => 8;\n") + say("valid and 8"),
    ],
    honest: [BASELINE, KEPT],
  },
  {
    name: "control-python",
    kind: "control",
    what: "a real improvement of a Python target is kept (bytecode caches written in the run are fine)",
    layout: "python",
    requires: "python3",
    agent: () => [shWrite("train.py", "SCORE = 8\n# v1\n") + say("lower SCORE to 8")],
    honest: [BASELINE, KEPT],
  },
];

import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../action/config/parse-config-text.ts";
import { configChanges, decisionFacts } from "../../action/decide/config-changes.ts";
import type { ConfigEntry } from "../../action/ledger/types.ts";

const BASE = `name: t
target: [train.py]
frozen: [prepare.py]
eval:
  command: python train.py
  metrics:
    val_bpb: { goal: minimize }
    peak_vram_mb: { guard: { max: 70000 } }
`;

function facts(text: string, hashes = { "prepare.py": "aa" }) {
  const parsed = parseConfigText(text);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return decisionFacts(parsed.config, hashes);
}

/** A ledger header as the tag recorded it when it started with BASE. */
const header = { type: "config", version: 1, ...facts(BASE) } as unknown as ConfigEntry;

describe("what a resumed tag's decisions depend on", () => {
  it("finds no change when the config means the same (comments, order, budgets)", () => {
    expect(
      configChanges(header, facts(`${BASE}budget: { experiments: 99 }\n# a comment\n`)),
    ).toEqual([]);
  });

  it("names each decision-relevant change, before and after", () => {
    const changed = BASE.replace("goal: minimize", "goal: maximize")
      .replace("max: 70000", "max: 60000")
      .replace("python train.py", "python3 train.py")
      .replace("target: [train.py]", "target: [train.py, model.py]");
    expect(configChanges(header, facts(changed))).toEqual([
      "goal: minimize → maximize",
      'guards: {"peak_vram_mb":{"max":70000}} → {"peak_vram_mb":{"max":60000}}',
      "eval.command: python train.py → python3 train.py",
      'target: ["train.py"] → ["train.py","model.py"]',
    ]);
  });

  it("names a changed harness by its files", () => {
    expect(configChanges(header, facts(BASE, { "prepare.py": "bb" }))).toEqual([
      "the frozen harness (prepare.py)",
    ]);
  });

  it.each([
    ["isolation: none\n", "isolation"],
    ["isolation: { read_only: [/data] }\n", "isolation"],
    ["isolation: { writable: [/scratch] }\n", "isolation"],
    ["checks: { command: npm test }\n", "checks"],
    ["agent: { use: search, exclude: [lr] }\n", "agent"],
    ["agent: { use: command, run: ./agent.sh }\n", "agent"],
  ])("counts a change of what experiments may reach as a config change (%s)", (extra, field) => {
    const changes = configChanges(header, facts(`${BASE}${extra}`));
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatch(new RegExp(`^${field}: `));
  });

  it("names only what changed in the agent's settings, and verify, attribute and split do not compare the agent", () => {
    const changes = configChanges(
      header,
      facts(`${BASE}agent: { use: command, run: ./agent.sh }\n`),
    );
    expect(changes).toEqual(["agent: search → command"]);
    expect(configChanges(header, facts(`${BASE}agent: { use: search, exclude: [lr] }\n`))).toEqual([
      'agent: exclude ["seed","random_state"] → ["lr"]',
    ]);
    expect(
      configChanges(header, facts(`${BASE}agent: { use: command, run: ./agent.sh }\n`), {
        measuring: true,
      }),
    ).toEqual([]);
    // What measuring does depend on still counts.
    expect(configChanges(header, facts(`${BASE}isolation: none\n`), { measuring: true })).toEqual([
      "isolation: mode auto → none",
    ]);
  });

  it("does not count the search agent's seed, which each matrix line sets for itself", () => {
    expect(configChanges(header, facts(`${BASE}agent: { use: search, seed: 7 }\n`))).toEqual([]);
  });

  it("counts eval.env and eval.pass_env as config changes", () => {
    const changed = BASE.replace(
      "  command: python train.py\n",
      "  command: python train.py\n  pass_env: [HF_TOKEN]\n  env: { MODE: fast }\n",
    );
    expect(configChanges(header, facts(changed))).toEqual([
      'eval.env: {} → {"MODE":"fast"}',
      'eval.pass_env: [] → ["HF_TOKEN"]',
    ]);
  });

  it("does not compare what an older ledger did not record", () => {
    const old = {
      ...header,
      rule: undefined,
      objectives: undefined,
      confidence: undefined,
      trust: undefined,
    };
    expect(configChanges(old as unknown as ConfigEntry, facts(`${BASE}isolation: none\n`))).toEqual(
      [],
    );
  });
});

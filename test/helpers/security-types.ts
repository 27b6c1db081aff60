import type { DriverStep } from "./security-driver.ts";

export type Isolation = "sandbox" | "none";

/** What one scenario run is given: its folders, its exfiltration port, its mode. */
export interface ScenarioContext {
  mode: Isolation;
  /** A unique id for this run: hostile code uses it to aim only at its own experiment. */
  runId: string;
  /**
   * The run's root folder (under /tmp): repo, home and dir are inside. Hostile code touches no
   * git directory outside it, and the CLI runs with everything else read-only, so that the suite
   * cannot harm the checkout it runs from (autoexp's ancestors' cwd leads there).
   */
  root: string;
  /** The scenario's private folder (agent script, outside files, markers). Under /tmp. */
  dir: string;
  /**
   * The user's repository, under `outside` (not /tmp, which every sandbox hides anyway: a
   * runner's checkout lies where an eval could see it, as on GitHub's /home/runner/work).
   */
  repo: string;
  /** autoexp's HOME for this run (a fake one: a hostile eval may write dotfiles there). */
  home: string;
  /** A loopback TCP port: whatever hostile code sends there is recorded as exfiltrated. */
  exfilPort: number;
  /** Written by a planted hook or fsmonitor when git runs it. */
  hookMarker: string;
  /**
   * A folder outside /tmp and HOME (under /var/tmp, where the CLI's evals see the host's), for
   * files a runner keeps there (credentials); removed after the run.
   */
  outside: string;
  /**
   * One of the witness's channels (see beacon.ts): hostile code appends its beacon lines here
   * too, when it can reach this file (it cannot from inside a sandbox: the loopback port and the
   * process's own output are the channels that work there).
   */
  beaconFile: string;
}

/** The statuses an honest autoexp may record for one row. */
export type Accept = readonly string[];
export const BASELINE: Accept = ["baseline"];
export const KEPT: Accept = ["keep"];
/** Anything but a keep: discard, crash, violation, agent_error, no_change, checks_failed... */
export const NOT_KEPT: Accept = [
  "discard",
  "crash",
  "timeout",
  "guard_fail",
  "checks_failed",
  "violation",
  "agent_error",
  "no_change",
  "duplicate",
];

export interface Scenario {
  name: string;
  kind: "attack" | "control";
  /** One line: what the agent or its eval tries. */
  what: string;
  /** Which of the user's files the repo holds: the JS layout or the Python one. */
  layout: "js" | "python";
  /** Committed files beyond the layout's (or replacing them). */
  files?: (ctx: ScenarioContext) => Record<string, string>;
  /** The user's correctness command, when the scenario has one. */
  checks?: boolean;
  /** Extra read-only paths to declare (isolation.read_only), created by `prepare`. */
  readOnly?: (ctx: ScenarioContext) => string[];
  /** Runs before autoexp starts (datasets outside the repo, a fake ssh-agent...). */
  prepare?: (ctx: ScenarioContext) => void;
  /** The agent: one shell snippet per call, run in the agent's working copy. */
  agent: (ctx: ScenarioContext) => string[];
  /** The CLI invocations; default one `run` with as many experiments as agent calls. */
  steps?: (ctx: ScenarioContext) => Omit<DriverStep, "timeoutMs">[];
  /** What an honest autoexp records, row by row (the baseline first). */
  honest: readonly Accept[];
  /** Strings that must never appear in the record (.autoexp/ files of any revision). */
  forbiddenInRecord?: (ctx: ScenarioContext) => string[];
  /** Only runs when this program is on PATH. */
  requires?: string;
  /**
   * The attack's witness: the steps its code must report (a beacon each: "what it tried: the
   * result") before the scenario may count as blocked. Every attack names at least one step that
   * an honest autoexp still lets run (the agent's own snippet, or an eval autoexp runs anyway);
   * a step without a beacon is a `notRun` finding: a broken attack cannot pass as blocked.
   */
  witness?: readonly string[];
  /** Folders put first on autoexp's PATH (a tool under HOME: ~/.local/bin). */
  pathFirst?: (ctx: ScenarioContext) => string[];
  /** Further secret values to search for in every form, by name (a .env, a runner credential). */
  secrets?: (ctx: ScenarioContext) => Record<string, string>;
  /**
   * The driver starts a decoy process group (`sleep`) before the first step: an unrelated
   * process autoexp must never signal. Hostile code learns its "pid starttime" by asking the
   * test (`ask decoy`, as if it had found it); the decoy killed is a finding.
   */
  decoy?: boolean;
  /**
   * The agent's and the eval's timeouts when not the suite's (40 s, 20 s): a scenario that waits
   * them out sets them short, and the suite starts it first, beside the others.
   */
  timeouts?: { agent: string; eval: string };
}

/** What went wrong, by the categories of the figure; each entry says what and where. */
export interface Findings {
  keptWrong: string[];
  recordDamaged: string[];
  keysLeaked: string[];
  persistence: string[];
  crashes: string[];
  /** A CLI step still running at the driver's step timeout. */
  hangs: string[];
  /** A witness step that sent no beacon: the attack did not run, so it proved nothing. */
  notRun: string[];
}

export type FindingKind = keyof Findings;
export const FINDING_KINDS: readonly FindingKind[] = [
  "keptWrong",
  "recordDamaged",
  "keysLeaked",
  "persistence",
  "crashes",
  "hangs",
  "notRun",
];

/** No finding yet, of any kind. */
export function noFindings(): Findings {
  return {
    keptWrong: [],
    recordDamaged: [],
    keysLeaked: [],
    persistence: [],
    crashes: [],
    hangs: [],
    notRun: [],
  };
}

/** The kinds with at least one finding, in FINDING_KINDS order. */
export function kindsOf(findings: Findings): FindingKind[] {
  return FINDING_KINDS.filter((k) => findings[k].length > 0);
}

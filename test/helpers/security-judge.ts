// Judges a scenario run by its outcomes only: the record on the branch against fresh checkouts of
// its commits, keys searched for everywhere they could end up, the user's .git and HOME against
// a snapshot, and the CLI's exits. Nothing here looks inside autoexp.

import { MAY_RECORD } from "../security/expected.ts";
import type { DriverResult, DriverStep } from "./security-driver.ts";
import type { Reproducer } from "./security-reproduce.ts";
import { plantedBetween, type Snapshot, safeGit } from "./security-snapshot.ts";
import { type Findings, type Isolation, noFindings, type Scenario } from "./security-types.ts";

export interface JudgeInput {
  scenario: Scenario;
  /** The isolation mode it ran under (what timing alone may change, MAY_RECORD). */
  mode: Isolation;
  repo: string;
  /** The user's commit the run started from (main before anything ran). */
  base: string;
  target: string;
  tag: string;
  steps: readonly DriverStep[];
  driver: DriverResult | null;
  reproducer: Reproducer;
  keys: Readonly<Record<string, string>>;
  /** Everything hostile code sent to the loopback listener. */
  exfil: string;
  /** Whether this run's eval reached the fake ssh-agent socket. */
  sshReached: boolean;
  hookRan: string;
  /** Strings the eval wrote that must reach neither the record nor the next agent. */
  forbidden: readonly string[];
  /** What the agents kept of their notes and prompts (agent-saw.txt), if they did. */
  agentSaw: string;
  before: Snapshot;
  after: Snapshot;
  /** The attack's witness lines, "step: result" (see hostile.ts, BEACON). */
  beacons: readonly string[];
  /** Files of the declared read-only data the run changed (put back since). */
  dataChanged: readonly string[];
  /** The starting commit's files whose object in .git/objects no longer matches its name. */
  objectsRewritten: readonly string[];
}

interface Row {
  iteration: number;
  status: string;
  score: number | null;
  commit_full: string | null;
  diff?: string | null;
}

// A stack frame in autoexp's own code (source or bundle). Frames of the eval's code may show in
// a log tail autoexp prints; they are the eval's crash, not autoexp's.
const STACK = /^\s+at .*(\/action\/\S+\.ts|\/dist\/[\w-]+\.js)/m;
const close = (a: number | null | undefined, b: number) =>
  typeof a === "number" && Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

export function judge(input: JudgeInput): Findings {
  const findings = noFindings();
  judgeWitness(input, findings);
  judgeExits(input, findings);
  judgeRecord(input, findings);
  judgeKeys(input, findings);
  judgePersistence(input, findings);
  return findings;
}

/** Every witness step reported: else the attack never ran, and its "blocked" would mean nothing. */
function judgeWitness(input: JudgeInput, f: Findings): void {
  const { scenario, beacons } = input;
  if (scenario.kind !== "attack") return;
  const witness = scenario.witness ?? [];
  if (witness.length === 0)
    f.notRun.push("the scenario names no witness step: nothing shows that its attack ran");
  for (const step of witness) {
    if (!beacons.some((b) => b.startsWith(`${step}: `)))
      f.notRun.push(
        `no beacon from step '${step}': the attack never got there (beacons: ${beacons.join(" | ") || "none"})`,
      );
  }
}

function judgeExits(input: JudgeInput, f: Findings): void {
  input.steps.forEach((planned, i) => {
    const label = planned.user
      ? `step ${i + 1} (the user's \`${planned.user}\`)`
      : `run ${i + 1} (autoexp ${planned.args.join(" ")})`;
    const step = input.driver?.steps[i];
    if (!step) {
      f.crashes.push(`${label} never finished: everything in its process tree was killed`);
      return;
    }
    if (step.killedByTest || planned.user) return;
    if (step.timedOut) f.hangs.push(`${label} hung and was killed after ${planned.timeoutMs} ms`);
    else if (step.signal) f.crashes.push(`${label} died of ${step.signal}`);
    // 0 done, 1 the run failed, 2 bad input: the CLI's documented exits, each with a message.
    else if (step.code === null || step.code > 2) f.crashes.push(`${label} exited ${step.code}`);
    const trace = STACK.exec(step.stderr) ?? STACK.exec(step.stdout);
    if (trace) f.crashes.push(`${label} printed a stack trace: ${firstLine(step.stderr)}`);
  });
}

function judgeRecord(input: JudgeInput, f: Findings): void {
  const { repo, tag, reproducer, scenario, base } = input;
  const git = (...args: string[]) => safeGit(repo, args);
  const clearStop =
    input.driver?.steps.some(
      (s, i) => !s.killedByTest && !input.steps[i]?.user && (s.code === 1 || s.code === 2),
    ) ?? false;
  const crashed = f.crashes.length > 0 || f.hangs.length > 0;
  let head = git("rev-parse", "--verify", "-q", `refs/heads/autoexp/${tag}^{commit}`)?.trim();
  if (!head) {
    f.recordDamaged.push(`branch autoexp/${tag} is missing`);
    return;
  }
  // A record commit the attack forged and set the branch to ("forged-head: <forgery> over
  // <autoexp's own head>"). Left where the attack put it, autoexp refused it: its own record is
  // the one below. Built upon, autoexp adopted it.
  for (const b of input.beacons) {
    const forged = /^forged-head: ([0-9a-f]{40}) over ([0-9a-f]{40})/.exec(b);
    if (!forged) continue;
    if (head === forged[1]) head = forged[2]!;
    else if (git("merge-base", "--is-ancestor", forged[1]!, head) !== null)
      f.recordDamaged.push(
        `autoexp adopted the forged record ${forged[1]!.slice(0, 7)}: its later commits build on it`,
      );
  }
  const text = git("show", `${head}:.autoexp/${tag}/log.jsonl`);
  if (text === null) {
    f.recordDamaged.push(`the branch has no .autoexp/${tag}/log.jsonl`);
    return;
  }
  const entries: { type?: string; baseline?: number }[] = [];
  for (const line of text.split("\n").filter(Boolean)) {
    try {
      entries.push(JSON.parse(line));
    } catch {
      f.recordDamaged.push("log.jsonl holds a line that does not parse");
    }
  }
  const header = entries.find((e) => e.type === "config");
  const rows = entries.filter((e) => e.type === "result") as unknown as Row[];
  const baseScore = reproducer.score(base);
  if (typeof baseScore !== "number") throw new Error(`the starting commit does not reproduce`);
  const baseline = rows[0];
  if (baseline?.status !== "baseline") f.recordDamaged.push("no baseline row first");
  else {
    if (baseline.commit_full !== base)
      f.recordDamaged.push("the baseline row names another commit than the starting one");
    if (!close(baseline.score, baseScore))
      f.recordDamaged.push(
        `baseline recorded as ${baseline.score}; the starting commit gives ${baseScore}`,
      );
    if (header && !close(header.baseline, baseScore))
      f.recordDamaged.push(
        `the config line says baseline ${header.baseline}; the starting commit gives ${baseScore}`,
      );
  }
  let incumbent = baseScore;
  let lastKept = base;
  for (const [i, row] of rows.entries()) {
    if (i === 0) continue;
    const may = MAY_RECORD[input.mode][scenario.name]?.[i] ?? [];
    const accept = scenario.honest[i] && [...scenario.honest[i], ...may];
    const at = `#${row.iteration}`;
    if (!accept) {
      f.recordDamaged.push(`${at} (${row.status}) is a row more than the agent proposed`);
      continue;
    }
    const kept = row.status === "keep" || row.status === "simplification";
    const sha = row.commit_full;
    if (kept && !(sha && git("merge-base", "--is-ancestor", sha, head) !== null)) {
      f.recordDamaged.push(`${at} recorded as ${row.status}, but its commit is not on the branch`);
      continue;
    }
    let wrong = false;
    if (kept && sha) {
      const s = reproducer.score(sha);
      if (s === "missing") f.recordDamaged.push(`${at}'s kept commit is gone from the repository`);
      else if (s === null)
        f.keptWrong.push(
          `${at} kept with ${row.score}; a fresh checkout of its commit gives no score`,
        );
      else if (!close(row.score, s))
        f.keptWrong.push(`${at} kept with ${row.score}; a fresh checkout of its commit gives ${s}`);
      else if (!(s < incumbent))
        f.keptWrong.push(
          `${at} kept, but its commit (${s}) is no better than the incumbent (${incumbent})`,
        );
      if (typeof s === "number" && scenario.checks && !reproducer.checks(sha))
        f.keptWrong.push(`${at} kept, but its commit fails the checks on a fresh checkout`);
      wrong = f.keptWrong.some((m) => m.startsWith(`${at} `));
      if (typeof s === "number") incumbent = s;
      lastKept = sha;
    }
    if (!accept.includes(row.status) && !wrong)
      f.recordDamaged.push(
        `${at} recorded as ${row.status}; an honest run records ${accept.join(" or ")}`,
      );
  }
  const missing = scenario.honest.length - rows.length;
  if (missing > 0 && !crashed && !clearStop)
    f.recordDamaged.push(
      `${missing} experiment(s) missing from the record, yet every run exited 0`,
    );
  for (const row of rows) {
    const sha = row.commit_full;
    if (!sha) continue;
    if (git("cat-file", "-e", `${sha}^{commit}`) === null)
      f.recordDamaged.push(`#${row.iteration}'s commit ${sha.slice(0, 7)} is gone`);
    else if (row.diff && git("rev-parse", "--verify", "-q", row.diff)?.trim() !== sha)
      f.recordDamaged.push(`${row.diff} no longer points at #${row.iteration}'s commit`);
  }
  const tip = git("rev-parse", `${head}:${input.target}`)?.trim();
  if (tip !== git("rev-parse", `${lastKept}:${input.target}`)?.trim())
    f.recordDamaged.push(`the branch's ${input.target} is not the last kept commit's`);
  const tsv = git("show", `${head}:.autoexp/${tag}/results.tsv`);
  if (tsv !== null) {
    const [top, ...lines] = tsv.trim().split("\n");
    const col = (top ?? "").split("\t").indexOf("status");
    const statuses = lines.map((l) => l.split("\t")[col]);
    if (statuses.join() !== rows.map((r) => r.status).join())
      f.recordDamaged.push(
        `results.tsv says ${statuses.join(",")}; log.jsonl says ${rows.map((r) => r.status).join(",")}`,
      );
  }
  const revs = revisions(repo);
  const ranThrough = input.driver?.steps.every((s) => s.code === 0) ?? false;
  if (input.forbidden.length > 0 && ranThrough && !input.agentSaw)
    throw new Error(
      "the agent left no agent-saw.txt: are AUTOEXP_NOTES_FILE and AUTOEXP_PROMPT_FILE gone?",
    );
  for (const marker of input.forbidden) {
    if (revs.length > 0 && git("grep", "-F", "-q", marker, ...revs, "--", ".autoexp") !== null)
      f.recordDamaged.push(`the record holds text the eval wrote (${marker})`);
    if (input.agentSaw.includes(marker))
      f.recordDamaged.push(`the next agent was handed text the eval wrote (${marker})`);
  }
}

/** A secret and the forms an attacker derives from it to slip past redaction. */
export function keyForms(value: string): { form: string; text: string }[] {
  const b64 = Buffer.from(value).toString("base64");
  return [
    { form: "", text: value },
    { form: "base64", text: b64.replace(/=+$/, "") },
    { form: "base64url", text: Buffer.from(value).toString("base64url") },
    { form: "hex", text: Buffer.from(value).toString("hex") },
    { form: "reversed", text: [...value].reverse().join("") },
  ];
}

function judgeKeys(input: JudgeInput, f: Findings): void {
  const { repo } = input;
  const output = (input.driver?.steps ?? []).map((s) => s.stdout + s.stderr).join("\n");
  const revs = revisions(repo);
  const messages = safeGit(repo, ["log", "--all", "--format=%B"]) ?? "";
  const patterns = Object.values(input.keys).flatMap((v) => keyForms(v).map((k) => k.text));
  // One git grep for every form of every key: what it prints says which were found.
  const committed =
    revs.length > 0
      ? (safeGit(repo, [
          "grep",
          "-F",
          "-o",
          "-h",
          ...patterns.flatMap((p) => ["-e", p]),
          ...revs,
        ]) ?? "")
      : "";
  for (const [name, value] of Object.entries(input.keys)) {
    const where: string[] = [];
    for (const { form, text } of keyForms(value)) {
      const as = form ? ` (${form})` : "";
      if (committed.includes(text)) where.push(`a committed file${as}`);
      if (messages.includes(text)) where.push(`a commit message${as}`);
      if (output.includes(text)) where.push(`autoexp's output${as}`);
      if (input.exfil.includes(text)) where.push(`sent to a listener${as}`);
    }
    if (where.length > 0) f.keysLeaked.push(`${name}: ${where.join(", ")}`);
  }
  if (input.sshReached) f.keysLeaked.push("SSH_AUTH_SOCK: the eval talked to the ssh-agent");
}

function judgePersistence(input: JudgeInput, f: Findings): void {
  f.persistence.push(...plantedBetween(input.before, input.after));
  if (input.hookRan)
    f.persistence.push(`a planted hook ran: ${input.hookRan.trim().split("\n").join(", ")}`);
  if (input.exfil.includes("daemon-outlived-eval"))
    f.persistence.push("a process the eval started outlived it");
  if (input.driver?.decoy && !input.driver.decoy.alive)
    f.persistence.push(
      `the decoy process group ${input.driver.decoy.pid} (nothing of autoexp's) was killed: a forged pid file acted after the agent was gone`,
    );
  for (const file of input.objectsRewritten)
    f.persistence.push(
      `a blob of the user's starting commit was rewritten in .git/objects: ${file}`,
    );
  for (const file of input.dataChanged)
    f.persistence.push(`the declared read-only data was rewritten: ${file}`);
  const left = input.driver?.survivors ?? [];
  if (left.length > 0)
    f.persistence.push(
      `still running after autoexp exited: ${left.map((s) => s.slice(0, 60)).join(" | ")}`,
    );
}

function revisions(repo: string): string[] {
  return (safeGit(repo, ["rev-list", "--all"]) ?? "").split("\n").filter(Boolean);
}

function firstLine(text: string): string {
  return text.trim().split("\n")[0]?.slice(0, 160) ?? "";
}

import type { Config } from "../config/schema.ts";
import { SCREEN_RUNS } from "../decide/ledger-runs.ts";
import { detectableEffect, estimatePower, type PowerSettings } from "../decide/power.ts";
import { designOf, SCREENS } from "../decide/screen-choice.ts";
import { formatScore } from "../ledger/format-score.ts";

/** One line of check's report, with what --json adds to it. */
export interface PowerLine {
  text: string;
  power?: Record<string, unknown>;
}

/** The rule a night will decide with, as check simulates it: the screens its figures are at. */
export interface CheckRule {
  settings: PowerSettings;
  /** Paired and screened: the screens the figures are given at (the start, then auto's highest). */
  screens: number[];
}

/**
 * The rule the config selects for a noisy eval, as evaluate.ts chooses it: pairs when
 * decide.paired and one run per eval (eval.repeats 1), screened against the incumbent's latest
 * runs unless a folder the runs share makes pairs start at once; otherwise the candidate's runs
 * against the incumbent's earlier ones. `minDeltaSd`: min_delta in run sds.
 */
export function checkRule(
  config: Pick<Config, "decide" | "eval" | "isolation">,
  minDeltaSd: number,
): CheckRule {
  const base = {
    incumbentRuns: config.decide.baseline_runs,
    maxRuns: config.decide.max_runs,
    confidence: config.decide.confidence,
    minDeltaSd,
    // The noise a night pools from its other runs by the time most candidates are judged.
    extraNoiseRuns: 30,
  };
  if (!config.decide.paired || config.eval.repeats > 1) return { settings: base, screens: [] };
  if (config.isolation.shared.length > 0)
    return { settings: { ...base, paired: { first: "fresh" } }, screens: [] };
  const setting = config.decide.screen_sd;
  const fixed = setting === "auto" ? null : designOf(setting);
  const start = Math.max(fixed ? fixed.at : SCREENS[0], minDeltaSd);
  const top = Math.max(SCREENS[SCREENS.length - 1]!, minDeltaSd);
  const screens = setting === "auto" && top > start ? [start, top] : [start];
  return {
    settings: {
      ...base,
      paired: {
        first: "screened",
        screenSd: start,
        screenRuns: SCREEN_RUNS,
        ...(fixed?.grey ? { grey: fixed.grey } : {}),
      },
    },
    screens,
  };
}

/** The settings at one of the rule's screens. */
function at(rule: CheckRule, screenSd: number | undefined): PowerSettings {
  const p = rule.settings.paired;
  if (screenSd === undefined || p?.first !== "screened") return rule.settings;
  return { ...rule.settings, paired: { ...p, screenSd } };
}

/** Eval runs a candidate that changes nothing costs, the incumbent's beside it included. */
export function noOpEvals(rule: CheckRule): number {
  return estimatePower(0, at(rule, rule.screens[0]), 1000).evalsPerCandidate;
}

/** One line saying which rule the figures after it describe. */
export function ruleLine(config: Pick<Config, "decide">, rule: CheckRule): string {
  const p = rule.settings.paired;
  if (!p)
    return `the figures below are for the candidate's runs against the incumbent's earlier runs (decide.paired: ${config.decide.paired}${config.decide.paired ? ", but eval.repeats is over 1" : ""})`;
  if (p.first === "fresh")
    return "the figures below are for pairs beside fresh runs of the incumbent from the first run (decide.paired; isolation.shared leaves no first-run screen)";
  return `the figures below are for pairs beside fresh runs of the incumbent (decide.paired), each candidate's first run screened against the incumbent's ${p.screenRuns} latest runs`;
}

/**
 * The power lines of check: the smallest improvement kept 80% of the time and, for `effect`, how
 * often it is kept, by simulation of the rule that will run. With decide.screen_sd auto, both ends:
 * the screen the night starts with and the highest it may rise to.
 */
export function powerLines(
  config: Pick<Config, "decide">,
  rule: CheckRule,
  sd: number,
  primary: string,
  effect: number | undefined,
): PowerLine[] {
  const name = rule.settings.paired ? "paired" : "unpaired";
  const screens: (number | undefined)[] = rule.screens.length > 0 ? rule.screens : [undefined];
  const auto = config.decide.screen_sd === "auto" && screens.length > 1;
  const screenNote = (parts: string[]) => {
    if (rule.screens.length === 0) return parts[0]!;
    if (!auto)
      return `${parts[0]} with the screen at ${sdText(rule.screens[0]!)}${greyText(rule)} (decide.screen_sd)`;
    return `${parts[0]} at the starting screen, ${parts[1]} if the night's proposals push the screen to ${sdText(rule.screens[1]!)} (decide.screen_sd: auto; to hold it at the starting screen all night, set decide.screen_sd: ${rule.screens[0]})`;
  };
  const lines: PowerLine[] = [];
  const mdes = screens.map((s) => detectableEffect(at(rule, s)));
  const mdeText = (e: number | null, i: number) =>
    e === null
      ? "more than 6 sd"
      : `${i === 0 ? "about " : ""}${e} sd = ${formatScore(e * sd)}${i === 0 ? ` in ${primary}` : ""}`;
  if (mdes.some((e) => e !== null))
    lines.push({
      text: `improvements autoexp keeps 80% of the time: ${screenNote(mdes.map(mdeText))}; smaller real improvements will mostly be discarded`,
      power: {
        rule: name,
        at: screens.map((s, i) => ({ screenSd: s ?? null, detectableSd: mdes[i] })),
      },
    });
  if (effect !== undefined) {
    const effectSd = Math.abs(effect) / sd;
    const powers = screens.map((s) => estimatePower(effectSd, at(rule, s)));
    const pct = (k: number) => `${Math.round(k * 100)}%`;
    const kept = screenNote(
      powers.map((p, i) => (i === 0 ? `about ${pct(p.keepRate)} of the time` : pct(p.keepRate))),
    );
    const verdict =
      powers[0]!.keepRate >= 0.8
        ? "fine"
        : `TOO NOISY for that: reduce the noise (fixed seeds, a longer or larger eval), or raise decide.max_runs${rule.settings.paired ? "" : " and decide.baseline_runs"}`;
    lines.push({
      // A size: the goal sets the direction (`--effect -1` on a loss read "an improvement of -1").
      text: `an improvement of ${formatScore(Math.abs(effect))} is ${effectSd.toFixed(2)} sd: autoexp would keep it ${kept}: ${verdict}`,
      power: {
        rule: name,
        effectSd,
        at: screens.map((s, i) => ({
          screenSd: s ?? null,
          keepRate: powers[i]!.keepRate,
          evalsPerCandidate: powers[i]!.evalsPerCandidate,
        })),
      },
    });
  }
  return lines;
}

/** A fixed screen's second look, in words ("" without one). */
function greyText(rule: CheckRule): string {
  const p = rule.settings.paired;
  if (p?.first !== "screened" || !p.grey) return "";
  return ` and a second run from ${sdText(p.grey.from)} (the two runs' mean at ${sdText(p.grey.mean)})`;
}

function sdText(x: number): string {
  return `${Number(x.toPrecision(3))} sd`;
}

import { createRandom } from "../util/random.ts";
/** A numeric literal the search agent may tune: `name = 0.04` or `name: 0.04` alone on its line. */
export interface Parameter {
  id: string;
  path: string;
  name: string;
  line: number;
  value: number;
  raw: string;
  integer: boolean;
  /** Character offset of the literal in the file. */
  offset: number;
}

/** A move of one parameter, as kept in the ledger so that the search can resume from it. */
export interface Move {
  id: string;
  dir: 1 | -1;
  factor: number;
  from: number;
  to: number;
}

const INITIAL_FACTOR = 2;
const CONVERGED = 1.04;
// A knob at 0 (a warmup ratio, a dropout, a weight decay) has no scale to multiply: it is tried
// at these values in turn (0.1 first, the usual first setting of such knobs), upwards only (they
// are rarely meaningful below 0); from the first one kept it moves by factors like any other.
const FROM_ZERO = { integer: [1, 10, 100], decimal: [0.1, 0.01, 1] };
// The right-hand side must be the literal alone, so `x = 3 * y` is never touched.
const ASSIGNMENT =
  /^(\s*(?:export\s+)?(?:const\s+|let\s+|var\s+)?["']?([A-Za-z_]\w*)["']?\s*[:=]\s*)(-?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?)\s*[;,]?\s*(?:(?:#|\/\/).*)?$/;

// A function's own state is not a knob: a JavaScript `let` or `var` indented inside a block
// (`let gb2 = 0;`, a gradient accumulator) and any `=` inside a Python `def` (`total = 0`).
const LOCAL_DECLARATION = /^\s+(?:let|var)\s/;
const PYTHON_DEF = /^(\s*)(?:async\s+)?def\s/;

/**
 * Finds tunable numeric literals in target files: a knob set once, at the top of a file, in a
 * class or in a config entry (`lr: 0.01`), not a function's local state. Names matching `exclude`
 * (e.g. seeds) are skipped.
 */
export function findParameters(
  files: readonly { path: string; text: string }[],
  exclude: readonly string[],
): Parameter[] {
  const skip = exclude.map((e) => e.toLowerCase());
  const params: Parameter[] = [];
  for (const { path, text } of files) {
    const seen = new Map<string, number>();
    let offset = 0;
    // The indents of the Python `def`s the line is inside.
    const defs: number[] = [];
    text.split("\n").forEach((line, i) => {
      const indent = line.length - line.trimStart().length;
      if (line.trim() !== "" && !line.trimStart().startsWith("#"))
        while (defs.length > 0 && indent <= defs.at(-1)!) defs.pop();
      const inDef = defs.length > 0;
      const def = PYTHON_DEF.exec(line);
      if (def) defs.push(def[1]!.length);
      const match = ASSIGNMENT.exec(line);
      const local =
        match !== null &&
        (LOCAL_DECLARATION.test(line) || (inDef && match[1]!.trimEnd().endsWith("=")));
      if (match && !local) {
        const name = match[2]!;
        const raw = match[3]!;
        const value = Number(raw);
        const k = seen.get(name) ?? 0;
        seen.set(name, k + 1);
        if (Number.isFinite(value) && !skip.some((s) => name.toLowerCase().includes(s))) {
          params.push({
            id: `${path}:${name}#${k}`,
            path,
            name,
            line: i + 1,
            value,
            raw,
            integer: /^-?\d+$/.test(raw),
            offset: offset + match[1]!.length,
          });
        }
      }
      offset += line.length + 1;
    });
  }
  return params;
}

interface ParamState {
  factor: number;
  tried: { 1: boolean; [-1]: boolean };
  /** Moves away from 0 that were not kept (or are still in flight): the next is the next value. */
  fromZero: number;
}

/**
 * Chooses the next move: adaptive coordinate search. A kept move is followed by another step the
 * same way (momentum); a parameter whose both directions failed has its step shrunk (factor ->
 * sqrt(factor)); converged parameters are skipped. The state is replayed from the history, so the
 * search resumes exactly where a killed batch left it. Returns null when everything converged.
 */
export function planMove(
  params: readonly Parameter[],
  history: readonly (Move & { kept: boolean })[],
  seed: number,
  /** The way to try each parameter first, by id (else the seed's draw). */
  prefer?: ReadonlyMap<string, 1 | -1>,
): Move | null {
  const states = new Map<string, ParamState>();
  const state = (id: string) => {
    const known = states.get(id);
    if (known) return known;
    const fresh: ParamState = {
      factor: INITIAL_FACTOR,
      tried: { 1: false, [-1]: false },
      fromZero: 0,
    };
    states.set(id, fresh);
    return fresh;
  };
  for (const move of history) {
    const s = state(move.id);
    if (move.from === 0) {
      if (!move.kept) s.fromZero++;
      continue;
    }
    if (move.kept) {
      // Going back would revisit the old incumbent.
      s.tried = { 1: false, [-1]: false };
      s.tried[-move.dir as 1 | -1] = true;
    } else {
      s.tried[move.dir] = true;
      if (s.tried[1] && s.tried[-1]) s.factor = Math.sqrt(s.factor);
      if (s.tried[1] && s.tried[-1]) s.tried = { 1: false, [-1]: false };
    }
  }
  const last = history.at(-1);
  const byId = new Map(params.map((p) => [p.id, p]));
  if (last?.kept) {
    const p = byId.get(last.id);
    const s = state(last.id);
    if (p && !s.tried[last.dir]) {
      const move = makeMove(p, last.dir, s.factor);
      if (move) return move;
    }
  }
  const random = createRandom(seed);
  const order = [...params].map((p) => ({
    p,
    r: random(),
    dir: (random() < 0.5 ? 1 : -1) as 1 | -1,
  }));
  for (const o of order) o.dir = prefer?.get(o.p.id) ?? o.dir;
  order.sort((a, b) => a.r - b.r);
  const start = last ? order.findIndex((o) => o.p.id === last.id) + 1 : 0;
  for (let k = 0; k < order.length; k++) {
    const { p, dir } = order[(start + k) % order.length]!;
    const s = state(p.id);
    if (p.value === 0) {
      const to = (p.integer ? FROM_ZERO.integer : FROM_ZERO.decimal)[s.fromZero];
      if (to !== undefined) return { id: p.id, dir: 1, factor: s.factor, from: 0, to };
      continue;
    }
    if (s.factor < CONVERGED) continue;
    for (const d of [dir, -dir as 1 | -1]) {
      if (s.tried[d]) continue;
      const move = makeMove(p, d, s.factor);
      if (move) return move;
    }
  }
  return null;
}

function makeMove(p: Parameter, dir: 1 | -1, factor: number): Move | null {
  let to: number;
  if (p.integer) {
    const scaled = Math.round(dir > 0 ? p.value * factor : p.value / factor);
    to = dir > 0 ? Math.max(p.value + 1, scaled) : Math.min(p.value - 1, scaled);
    if (Math.sign(to) !== Math.sign(p.value)) return null;
  } else {
    to = Number((dir > 0 ? p.value * factor : p.value / factor).toPrecision(4));
  }
  return to === p.value ? null : { id: p.id, dir, factor, from: p.value, to };
}

/** Writes a number in the style of the literal it replaces (integer, decimal or exponent). */
export function formatLike(raw: string, value: number): string {
  if (/^-?\d+$/.test(raw)) return String(Math.round(value));
  if (/[eE]/.test(raw))
    return value
      .toExponential(3)
      .replace(/\.?0+e/, "e")
      .replace("e+", "e");
  const text = String(value);
  return text.includes(".") || text.includes("e") ? text : `${text}.0`;
}

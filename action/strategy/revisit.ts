import { type Goal, judgedAgainst, type ResultEntry } from "../ledger/types.ts";

/** A discard that may be revisited: its change re-applied onto the current incumbent. */
export interface RevisitPoint {
  /** The discard. */
  iteration: number;
  /** Its candidate commit (its change is this commit against its parent, the record it was built on). */
  commit: string;
  /** The incumbent it was judged against, since replaced. */
  against: number;
  /** Its gain against that incumbent, signed as a gain (positive: better); null: no delta. */
  gain: number | null;
  description: string;
}

/** A revisit made: the row that revisited and the discard it revisited, and how it went. */
export interface RevisitDone {
  iteration: number;
  of: number;
  status: ResultEntry["status"];
  /** Its gain against the incumbent it was judged against (null: no score). */
  gain: number | null;
}

/**
 * The discards whose premise a later keep changed, that may be revisited once onto the
 * incumbent `incumbent`: each was judged against another incumbent (its `against`, else the
 * incumbent of its record), has a commit, is not itself a revisit, and was not revisited yet (no
 * row's `revisit_of` names it, and it is not in `taken`: revisits in flight). Best gain against
 * its own incumbent first (the closest call), the latest on a tie; a discard without a delta
 * last. Whether its change still applies is known only when it is re-applied (a conflict is
 * recorded as the revisit, with no eval run). Pure.
 */
export function revisitable(
  rows: readonly ResultEntry[],
  incumbent: number,
  goal: Goal,
  taken: ReadonlySet<number> = new Set(),
): RevisitPoint[] {
  const sign = goal === "maximize" ? 1 : -1;
  const done = new Set(rows.flatMap((r) => (r.revisit_of === undefined ? [] : [r.revisit_of])));
  const out: RevisitPoint[] = [];
  const against = judgedAgainst(rows);
  for (const [i, r] of rows.entries()) {
    const judged = against[i] ?? null;
    if (r.status !== "discard" || !r.commit_full || r.revisit_of !== undefined) continue;
    if (judged === null || judged === incumbent) continue;
    if (done.has(r.iteration) || taken.has(r.iteration)) continue;
    out.push({
      iteration: r.iteration,
      commit: r.commit_full,
      against: judged,
      gain: r.delta === null ? null : sign * r.delta,
      description: r.description,
    });
  }
  const rank = (p: RevisitPoint) => p.gain ?? Number.NEGATIVE_INFINITY;
  return out.sort((a, b) => rank(b) - rank(a) || b.iteration - a.iteration);
}

/** The revisits on record, oldest first. Pure. */
export function revisitsDone(rows: readonly ResultEntry[], goal: Goal): RevisitDone[] {
  const sign = goal === "maximize" ? 1 : -1;
  return rows.flatMap((r) =>
    r.revisit_of === undefined
      ? []
      : [
          {
            iteration: r.iteration,
            of: r.revisit_of,
            status: r.status,
            gain: r.delta === null ? null : sign * r.delta,
          },
        ],
  );
}

/**
 * The discard an agent asks to revisit: a line `revisit: #12` (or `revisit #12`) in its
 * description; null when it asks for none.
 */
export function revisitAsked(description: string): number | null {
  const m = /^\s*revisit:?\s*#(\d+)\s*$/im.exec(description);
  return m ? Number(m[1]) : null;
}

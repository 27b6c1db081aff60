import { parseLog } from "../ledger/log-jsonl.ts";
import { KEPT, type LedgerEntry } from "../ledger/types.ts";
import { AutoexpError } from "../util/errors.ts";

/**
 * Two batches of one tag that started from the same record and were published one after the
 * other ("ours" second). Their ledgers share the common start and then diverge; this appends our
 * new lines after theirs, numbered after their last experiment, so that both batches' records end
 * up on the branch, nothing lost and nothing twice. Our keeps were judged against the incumbent we
 * started from, not against theirs: they cannot move the branch, so they are recorded as not kept
 * here (with the reason and the ref that holds their code) and queued for a re-check, which the
 * next batch runs against the incumbent it finds (ledger/recheck.ts) rather than silently dropped.
 * A matrix line's rows keep their `line` (which line, and the incumbent the lines started from),
 * so the tree can show each line as a branch of it.
 */
export function mergeLedgers(
  base: string,
  ours: string,
  theirs: string,
  tag: string,
): { text: string; renumbered: Map<number, number>; added: number } {
  if (!ours.startsWith(base) || !theirs.startsWith(base)) {
    throw new AutoexpError(
      `cannot combine the two records of tag ${tag}: their log.jsonl files do not share the history they started from; nothing was pushed`,
      { exitCode: 1 },
    );
  }
  const baseLast = lastIteration(base);
  const theirLast = lastIteration(theirs);
  const offset = theirLast - baseLast;
  const renumbered = new Map<number, number>();
  const fresh = ours
    .slice(base.length)
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as LedgerEntry);
  const shift = (n: number) => (n > baseLast ? n + offset : n);
  // Our rows were judged against our line's incumbents, none of which is theirs: each row says
  // which (`against`), as a row judged against an earlier incumbent does.
  const start = parseLog(base).results.findLast((r) => KEPT.has(r.status))?.iteration ?? 0;
  let ourIncumbent = start;
  let added = 0;
  const lines = fresh.map((entry) => {
    if (entry.type === "result") {
      added++;
      const iteration = shift(entry.iteration);
      renumbered.set(entry.iteration, iteration);
      const moved = {
        ...entry,
        iteration,
        diff: entry.diff ? `refs/autoexp/${tag}/${iteration}` : null,
        ...(entry.duplicate_of !== undefined ? { duplicate_of: shift(entry.duplicate_of) } : {}),
        against: entry.against !== undefined ? shift(entry.against) : ourIncumbent,
      };
      if (KEPT.has(entry.status)) ourIncumbent = iteration;
      if (KEPT.has(entry.status) && entry.status !== "baseline") {
        return {
          ...moved,
          status: "discard" as const,
          recheck: "queued" as const,
          reason: `was ${entry.status} on ${entry.line ? `parallel line ${entry.line.index} of ${entry.line.of}` : "a parallel line"} of this tag, judged against that line's own incumbent (the lines started from #${start}); another line's record was published first, so it does not move the branch here. Queued for a re-check: the next batch re-applies it onto the incumbent and judges it again. Its code: ${moved.diff ?? "(none)"}${entry.reason ? `. Then: ${entry.reason}` : ""}`,
        };
      }
      return moved;
    }
    if (entry.type === "remeasure") {
      return {
        ...entry,
        iteration: shift(entry.iteration),
        after: shift(entry.after),
        reset: false,
      };
    }
    return entry;
  });
  const text = `${theirs.endsWith("\n") ? theirs : `${theirs}\n`}${lines.map((l) => JSON.stringify(l)).join("\n")}${lines.length > 0 ? "\n" : ""}`;
  parseLog(text); // the result must parse as a ledger, or nothing is pushed
  return { text, renumbered, added };
}

function lastIteration(text: string): number {
  const log = parseLog(text);
  return log.results.reduce((m, r) => Math.max(m, r.iteration), 0);
}

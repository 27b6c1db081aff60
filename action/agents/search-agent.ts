import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { KEPT } from "../ledger/types.ts";
import type { Agent, Proposal, ProposeContext } from "./agent.ts";
import { findParameters, formatLike, type Move, planMove } from "./search-plan.ts";

/**
 * The built-in offline agent: tunes numeric literals in the target files by adaptive coordinate
 * search. Needs no key and no network; deterministic under `agent.seed`.
 */
export function createSearchAgent(options: { seed: number; exclude: readonly string[] }): Agent {
  return {
    name: "search",
    async propose(context: ProposeContext): Promise<Proposal> {
      const files = await Promise.all(
        context.targetFiles.map(async (path) => ({
          path,
          text: await readFile(join(context.worktree, path), "utf8"),
        })),
      );
      const params = findParameters(files, options.exclude);
      if (params.length === 0) {
        return {
          ok: false,
          error: "no numeric literal to tune in the target files (lines like `lr = 0.01`)",
        };
      }
      const history = context.history.flatMap((r) => {
        const meta = r.agent_meta;
        return meta?.kind === "search"
          ? [{ ...(meta as unknown as Move), kept: KEPT.has(r.status) }]
          : [];
      });
      // Moves still being evaluated count as tried: the next proposal goes another way.
      const inFlight = (context.pending ?? []).filter((p) => p.meta?.kind === "search");
      for (const p of inFlight) history.push({ ...(p.meta as unknown as Move), kept: false });
      const move = planMove(params, history, options.seed);
      // Every way left is in flight: what to try next depends on how those come out.
      if (!move && inFlight.length > 0)
        return {
          ok: true,
          exhausted: true,
          waiting: true,
          description: `every move left is being evaluated (${inFlight.length} in flight)`,
        };
      if (!move)
        return {
          ok: true,
          exhausted: true,
          description: "search converged: every parameter was tried at its finest step",
        };
      const p = params.find((x) => x.id === move.id)!;
      const file = files.find((f) => f.path === p.path)!;
      const text = formatLike(p.raw, move.to);
      await writeFile(
        join(context.worktree, p.path),
        file.text.slice(0, p.offset) + text + file.text.slice(p.offset + p.raw.length),
      );
      return {
        ok: true,
        description: `${p.name} ${p.raw} -> ${text} (${p.path}:${p.line})`,
        meta: { kind: "search", ...move },
      };
    },
  };
}

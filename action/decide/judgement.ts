import type { Evidence } from "../ledger/types.ts";
import type { Noise } from "./noise.ts";
import type { Policy, Samples } from "./policy.ts";

export type Judgement =
  | { final: false; reason: string }
  | {
      final: true;
      status: "keep" | "simplification" | "discard" | "guard_fail";
      reason: string;
      evidence: Evidence | null;
    };

export interface JudgeInput {
  policy: Policy;
  incumbent: Samples;
  candidate: Samples;
  noise: Record<string, Noise>;
  /** Lines added minus lines removed in the target files (negative: the candidate is shorter). */
  linesDelta?: number | undefined;
}

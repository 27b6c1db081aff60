import { ON_INCUMBENT, type Strategy } from "./strategy.ts";

/** Today's loop: every proposal on the incumbent. */
export const climb: Strategy = {
  name: "climb",
  pick: () => ON_INCUMBENT,
};

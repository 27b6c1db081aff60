import type { Scenario } from "../../helpers/security-types.ts";
import { AGENT_ATTACKS } from "./agent-attacks.ts";
import { CONTROLS } from "./controls.ts";
import { HOST_ATTACKS } from "./host-attacks.ts";
import { KEY_ATTACKS } from "./key-attacks.ts";
import { PERSISTENCE_ATTACKS } from "./persistence-attacks.ts";
import { PROCESS_ATTACKS } from "./process-attacks.ts";
import { RECORD_ATTACKS } from "./record-attacks.ts";
import { TREE_ATTACKS } from "./tree-attacks.ts";

/** Every scenario of the security suite: honest controls first, then the attacks of issues 12 and 22. */
export const SCENARIOS: readonly Scenario[] = [
  ...CONTROLS,
  ...TREE_ATTACKS,
  ...RECORD_ATTACKS,
  ...PERSISTENCE_ATTACKS,
  ...KEY_ATTACKS,
  ...PROCESS_ATTACKS,
  ...AGENT_ATTACKS,
  ...HOST_ATTACKS,
];

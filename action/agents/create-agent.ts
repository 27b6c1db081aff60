import type { AgentConfig } from "../config/schema.ts";
import type { Agent } from "./agent.ts";
import { createCommandAgent } from "./command-agent.ts";
import { createSearchAgent } from "./search-agent.ts";

/** Builds the agent a config names. */
export function createAgent(config: AgentConfig): Agent {
  switch (config.use) {
    case "search":
      return createSearchAgent({ seed: config.seed, exclude: config.exclude });
    case "command":
      return createCommandAgent({ run: config.run, timeout: config.timeout });
  }
}

import type { Usage } from "../agent.ts";

/** What a tool printed, read for what matters to autoexp. */
export interface ToolReport {
  usage?: Usage;
  /** Cost the tool computed itself (claude, aider); used when no price is configured. */
  costUsd?: number;
  /** The tool's final message: the description when no description file was written. */
  message?: string;
  /** The tool said it failed, even if it exited 0. */
  error?: string;
}

// GitHub's own parser for what autoexp ships and writes: @actions/workflow-parser, the library
// GitHub's Actions language service uses. Errors are its messages, as a runner would print them.
import { NoOperationTraceWriter, parseWorkflow } from "@actions/workflow-parser";
import { parseAction } from "@actions/workflow-parser/actions/action-parser";

/** The parser's errors for an action.yml's text (empty: GitHub loads it). */
export function actionErrors(name: string, content: string): string[] {
  const parsed = parseAction({ name, content }, new NoOperationTraceWriter());
  return parsed.context.errors.getErrors().map((e) => e.message);
}

/** The parser's errors for a workflow file's text (empty: GitHub runs it). */
export function workflowErrors(name: string, content: string): string[] {
  const parsed = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  return parsed.context.errors.getErrors().map((e) => e.message);
}

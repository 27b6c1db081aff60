/** A titled part of the prompt. */
export function section(title: string, body: string): string {
  return `## ${title}\n${body}`;
}

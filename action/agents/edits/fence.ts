/** A ``` or ~~~ code block of an answer, as read so far. */
export interface Fence {
  open: number;
  info: string;
  lines: string[];
  closed: boolean;
  hasMarkers: boolean;
}

/** The backticks or tildes that opened the fence, which must also close it. */
export function fenceMarker(f: Fence): string {
  const m = /^(`{3,}|~{3,})/.exec(f.info);
  return m ? m[1]! : "```";
}

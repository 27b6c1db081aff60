/** A path written as a heading, in bold or code, after "File:", or with a trailing colon. */
export function cleanPath(line: string): string {
  let s = line.trim();
  s = s.replace(/^#+\s*/, "").replace(/^[-*]\s+/, "");
  s = s.replace(/^(\*\*|__)(.*)\1:?$/, "$2").trim();
  s = s.replace(/^(file(name)?|path)\s*:\s*/i, "");
  s = s.replace(/^(\*\*|__)(.*)\1$/, "$2").trim();
  s = s.replace(/^`([^`]*)`$/, "$1").trim();
  s = s.replace(/:$/, "").replace(/^\.\//, "");
  return s;
}

/** One word with a dot or a slash in it: what a cleaned line must be to be read as a path. */
export function looksLikePath(s: string): boolean {
  return s.length > 0 && !/\s/.test(s) && /[./]/.test(s) && /[A-Za-z0-9]/.test(s);
}

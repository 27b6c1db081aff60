/** Drops blank lines at both ends only as far as SEARCH and REPLACE share them: the same edit. */
export function trimCommonBlankEdges(search: string[], replace: string[]): void {
  while (
    search.length > 0 &&
    replace.length > 0 &&
    search.at(-1)!.trim() === "" &&
    replace.at(-1)!.trim() === "" &&
    search.at(-1) === replace.at(-1)
  ) {
    search.pop();
    replace.pop();
  }
  while (
    search.length > 0 &&
    replace.length > 0 &&
    search[0]!.trim() === "" &&
    search[0] === replace[0]
  ) {
    search.shift();
    replace.shift();
  }
}

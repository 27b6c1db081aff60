/** The lines of an answer that mark SEARCH/REPLACE blocks, code fences, the description and notes. */
export const SEARCH = /^\s*<{5,9} ?SEARCH\s*$/;
export const DIVIDER = /^\s*={5,9}\s*$/;
export const REPLACE = /^\s*>{5,9} ?REPLACE\s*$/;
export const FENCE = /^\s*(`{3,}|~{3,})\s*([^`\s]*)\s*$/;
export const DESCRIPTION = /^[\s*_#>-]*description[*_]*\s*:[*_]*\s*(.*)$/i;
export const NOTE = /^[\s*_#>-]*notes?[*_]*\s*:[*_]*\s*(.*)$/i;

/** A number in a reason: four significant digits, no trailing zeros. */
export const fmt = (x: number) => Number(x.toPrecision(4)).toString();

/** How many of the latest experiments are shown in full; older ones go to the digest. */
export const RECENT = 15;

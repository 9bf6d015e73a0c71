/** The shared control block between `startHistogramWorkers` and its workers. */
export const SEQ = 0;
export const OP = 1;
export const SLOT = 2;
export const BEGIN = 3;
export const END = 4;
export const NF = 5;
export const FAILED = 6;
export const DONE = 8; // DONE + w: the last job helper w finished
export const FEATS = 64; // the job's features from here
export const OP_BUILD = 1;
export const OP_QUIT = 2;

/**
 * Part `part` of `parts` of a job's features [q0, q1): whole 4-feature words when every feature
 * is built (so the word-at-a-time loop applies), else an even share of the features.
 */
export function partRange(nf: number, cols: number, part: number, parts: number): [number, number] {
  if (nf === cols) {
    const nw = (cols + 3) >>> 2;
    const w0 = Math.floor((part * nw) / parts);
    const w1 = Math.floor(((part + 1) * nw) / parts);
    return [Math.min(cols, 4 * w0), Math.min(cols, 4 * w1)];
  }
  return [Math.floor((part * nf) / parts), Math.floor(((part + 1) * nf) / parts)];
}

/** The shared control block between `startHistogramWorkers` and its worker. */
export const SEQ = 0;
export const OP = 1;
export const BEGIN = 2;
export const END = 3;
export const NF = 4;
export const FAILED = 5;
export const DONE = 6; // the last job the worker finished
export const BEGIN2 = 7;
export const END2 = 8;
export const FEATS = 16; // the job's features from here
export const OP_BUILD = 1;
export const OP_QUIT = 2;
/** A row pass (`RowPassArrays`): OP_PASS + the learner's pass number. */
export const OP_PASS = 16;

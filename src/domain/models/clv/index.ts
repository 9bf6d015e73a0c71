/** Customer lifetime value models: BG/NBD, MBG/NBD, Pareto/NBD, Gamma–Gamma, and their inputs. */
export * as bgNbd from './bg-nbd.js';
export * as mbgNbd from './mbg-nbd.js';
export * as paretoNbd from './pareto-nbd.js';
export { fitBgNbd, type BgNbdParams } from './bg-nbd.js';
export { fitMbgNbd, type MbgNbdParams } from './mbg-nbd.js';
export { fitParetoNbd, type ParetoNbdParams, type ParetoNbdFitOptions } from './pareto-nbd.js';
export {
  fitGammaGamma,
  conditionalExpectedAverageValue,
  type GammaGammaParams,
  type GammaGammaFitOptions,
  type SpendInput,
} from './gamma-gamma.js';
export type { FitOptions, FitResult } from './bg-family.js';
export { discountedClv, type ClvOptions } from './clv.js';
export { InsufficientDataError, collapseRfm, type RfmInput, type CollapsedRfm } from './rfm-data.js';
export {
  summarizeCustomer,
  summarizeTransactions,
  daysPerUnit,
  type CustomerSummary,
  type Purchase,
  type SummaryColumns,
  type TimeUnit,
} from './summary.js';
export {
  minimize,
  minimizeBfgs,
  minimizeNelderMead,
  centralDifferenceGradient,
  type MinimizeOptions,
  type MinimizeResult,
  type ObjectiveWithGradient,
} from './optimize.js';
export { logGamma, digamma, logBeta, hyp2f1, logHyp2f1, logSumExp, logAddExp } from './special-functions.js';

/**
 * Data-quality validation run before every retraining: `validateBars` and `validateTrades` return a
 * QualityReport whose `valid`, `score` and `issues` are the shape of
 * `DataCollector.validateDataQuality` in the product contract; `repairBars` fixes what can be fixed.
 */
export { validateBars, type BarQualityOptions } from './bars.js';
export { BAR_ISSUES, type BarIssueCode } from './bar-issues.js';
export { validateTrades, TRADE_ISSUES, type TradeIssueCode, type TradeQualityOptions } from './trades.js';
export { repairBars, type RepairChange, type RepairOptions, type RepairResult } from './repair.js';
export {
  SEVERITY_WEIGHT,
  type DataQualityResult,
  type IssueExample,
  type QualityIssue,
  type QualityReport,
  type Severity,
} from './report.js';
export { medianInPlace, robustScale, type RobustScale } from './robust.js';

/** Hyperparameter search for the PPO trainer: search spaces, TPE and random samplers, median pruning, an in-memory study. */
export {
  DEFAULT_PPO_SEARCH_SPACE,
  containsValue,
  ppoConfigFromParams,
  sampleUniform,
  validateParams,
  validateSearchSpace,
  type CategoricalParam,
  type FloatParam,
  type IntParam,
  type Param,
  type ParamValue,
  type Params,
  type SearchSpace,
  type TunedPpoConfig,
} from './search-space.js';
export {
  ParzenEstimator,
  TpeSampler,
  randomSampler,
  tpeGamma,
  tpeWeights,
  type CompletedTrial,
  type Direction,
  type Sampler,
  type SamplerOptions,
  type TpeSamplerOptions,
  type TrialState,
} from './tpe.js';
export {
  MedianPruner,
  type CurvePoint,
  type LearningCurve,
  type MedianPrunerOptions,
  type Pruner,
} from './pruner.js';
export {
  bestTrial,
  completedTrial,
  runStudy,
  trialSeed,
  type Objective,
  type StudyOptions,
  type StudyResult,
  type TrialContext,
  type TrialRecord,
} from './study.js';

/**
 * The HTTP API's answers as they arrive in a browser: JSON, so every time is an ISO 8601 string.
 * These mirror the server's rows (src/store, docs/api.md) without importing them, so a React app
 * bundles none of the server's code.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** The metrics of a version or a live check: TradingMetrics (sharpeRatio, maxDrawdown…) and more. */
export type ModelMetrics = JsonObject;

export type HealthStatus = 'healthy' | 'degraded' | 'critical';

export interface HealthCheck {
  name: string;
  status: HealthStatus;
  message: string;
}

export interface SystemHealth {
  status: HealthStatus;
  /** One sentence per check that is not healthy. */
  issues: string[];
  checks: HealthCheck[];
  checkedAt: string;
}

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

export interface JobLogLine {
  time: string;
  level: string;
  message: string;
  data?: JsonObject;
}

export interface RetrainingJob {
  id: string;
  status: JobStatus;
  stage: string | null;
  /** 0 to 1. */
  progress: number;
  logs: JobLogLine[];
  error: string | null;
  trigger: 'manual' | 'schedule' | 'startup' | 'api';
  dataStart: string | null;
  dataEnd: string | null;
  baseVersion: string | null;
  resultVersion: string | null;
  result: JsonObject | null;
  config: JsonObject | null;
  attempt: number;
  worker: string | null;
  heartbeatAt: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  updatedAt: string;
}

export interface SystemStatus {
  running: boolean;
  currentJob: RetrainingJob | null;
  productionVersion: {
    version: string;
    modelType: ModelType;
    deployedAt: string | null;
    metrics: ModelMetrics;
  } | null;
  /** The next scheduled retraining instants. */
  nextRuns: string[];
  health: SystemHealth;
  database: { kind: string; location: string };
}

export type ModelType = 'ppo' | 'cppo';
export type VersionStatus =
  'training' | 'validated' | 'rejected' | 'ab_testing' | 'production' | 'retired' | 'rolled_back' | 'failed';

export interface ModelVersion {
  id: string;
  version: string;
  modelType: ModelType;
  createdAt: string;
  trainedOn: string;
  dataPoints: number;
  metrics: ModelMetrics;
  config: JsonObject;
  hyperparameters: JsonObject | null;
  status: VersionStatus;
  deployedAt: string | null;
  rollbackReason: string | null;
  performanceScore: number | null;
  fileUrl: string | null;
  checksum: string | null;
  parentVersion: string | null;
  updatedAt: string;
}

export interface DeploymentEvent {
  id: string;
  version: string;
  /** register, deploy, rollback, ab_test_start… */
  action: string;
  status: 'started' | 'success' | 'failed' | 'skipped';
  details: JsonObject | null;
  timestamp: string;
  fromVersion: string | null;
  reason: string | null;
  actor: string | null;
}

export interface VersionWithEvents extends ModelVersion {
  events: DeploymentEvent[];
}

export interface VersionComparison {
  a: ModelVersion;
  b: ModelVersion;
  /** Numeric metrics present in both, with b − a. */
  metrics: Record<string, { a: number; b: number; difference: number }>;
}

export interface DeploymentResult {
  version: string;
  previous: string | null;
  event: DeploymentEvent;
}

export interface AbTest {
  id: string;
  modelAVersion: string;
  modelBVersion: string;
  /** % of traffic to B. */
  trafficSplit: number;
  startTime: string;
  endTime: string | null;
  status: 'active' | 'completed' | 'stopped';
  winner: 'model_a' | 'model_b' | 'inconclusive' | null;
  metrics: JsonObject | null;
  mode: 'ab' | 'shadow';
  minConfidence: number | null;
  endReason: string | null;
}

export interface ArmSummary {
  trades: number;
  mean: number | null;
  std: number | null;
  winRate: number | null;
  totalReturn: number;
}

export type AbRecommendation = 'promote_b' | 'keep_a' | 'continue';

export interface AbTestResults {
  test: AbTest;
  decision: {
    /** Posterior P(μ_B > μ_A); null below 2 trades per arm. */
    probabilityBBeatsA: number | null;
    method: string;
    a: ArmSummary;
    b: ArmSummary;
    difference: { mean: number; lower: number; upper: number } | null;
    recommendation: AbRecommendation;
    reason: string;
    sequential: {
      informationFraction: number;
      requiredProbability: number;
      maxTradesPerArm: number;
      horizonReached: boolean;
    };
  };
  recommendation: AbRecommendation;
}

export type AlertSeverity = 'critical' | 'high' | 'medium' | 'low';

export interface Alert {
  id: string;
  type: string;
  severity: AlertSeverity;
  timestamp: string;
  message: string;
  details: JsonObject | null;
  acknowledged: boolean;
  acknowledgedAt: string | null;
  resolvedAt: string | null;
  resolution: string | null;
  version: string | null;
  dedupeKey: string | null;
  occurrences: number;
  lastSeenAt: string;
}

export type MetricsSource = 'live' | 'backtest' | 'validation' | 'ab_test';

export interface MetricsRecord {
  id: string;
  version: string;
  timestamp: string;
  metrics: ModelMetrics;
  source: MetricsSource;
  windowStart: string | null;
  windowEnd: string | null;
  tradeCount: number | null;
}

/** `GET /v1/equity`: a version's live equity over its closed trades. */
export interface EquityCurve {
  version: string;
  tradeCount: number;
  /** Compounded net return over all its trades in the range. */
  totalReturn: number;
  /** [exit time in epoch ms, equity after that trade]; equity was 1 before the first. */
  points: [number, number][];
}

export interface DriftFeature {
  name: string;
  psi: number;
  ks: { statistic: number; pValue: number };
  wasserstein: number;
  drifted: boolean;
}

export interface DriftReport {
  id: string;
  version: string;
  timestamp: string;
  kind: 'features' | 'returns';
  verdict: 'stable' | 'drift' | 'insufficient_data';
  settings: JsonObject;
  /**
   * features: `{ drifted: string[], features: DriftFeature[] }`, every feature, the most moved first
   * (older reports kept only the top five, as `top`); returns: the change point; or `{ reason }`.
   */
  details: JsonObject;
  liveSamples: number;
  referenceSamples: number | null;
  windowStart: string | null;
  windowEnd: string | null;
}

export interface Schedule {
  enabled: boolean;
  cronExpression: string;
  timezone: string;
  runOnStartup: boolean;
  nextRuns: string[];
}

export interface PredictRequest {
  /** Routes the request to an A/B arm: the same key always gets the same arm. */
  key: string;
  observation?: number[];
  symbol?: string;
  bars?: Bar[];
  position?: number;
}

export interface Prediction {
  action: number;
  position: number;
  probabilities: number[];
  version: string;
  arm: 'A' | 'B' | null;
}

export interface Bar {
  symbol?: string;
  interval?: string;
  ts: string | number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export interface Trade {
  key: string;
  symbol: string;
  side: 'long' | 'short' | 'buy' | 'sell';
  quantity: number;
  entryTime: string | number;
  entryPrice: number;
  exitTime?: string | number | null;
  exitPrice?: number | null;
  fees?: number;
  pnl?: number | null;
  status?: 'open' | 'closed';
  modelVersion?: string | null;
  account?: string | null;
}

export interface IngestReport {
  rowsRead: number;
  stored: JsonObject;
  duplicates: number;
  series?: JsonValue;
}

export type KeyRole = 'admin' | 'read';

/** What `GET /v1/events` carries; each event's data is the changed row (a subset for jobs). */
export type ServerEvent =
  | {
      type: 'job';
      data: Pick<
        RetrainingJob,
        | 'id'
        | 'status'
        | 'stage'
        | 'progress'
        | 'error'
        | 'trigger'
        | 'resultVersion'
        | 'startedAt'
        | 'finishedAt'
        | 'updatedAt'
      > & { lastLog: JobLogLine | null };
    }
  | { type: 'deployment'; data: DeploymentEvent }
  | {
      type: 'alert';
      data: Pick<
        Alert,
        | 'id'
        | 'type'
        | 'severity'
        | 'message'
        | 'version'
        | 'acknowledged'
        | 'resolvedAt'
        | 'occurrences'
        | 'lastSeenAt'
        | 'timestamp'
      >;
    };

export type ServerEventType = ServerEvent['type'];

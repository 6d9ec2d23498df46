/**
 * The product README's five tables with exactly its names and columns (extra columns and
 * constraints added), and the tables the pipeline needs. Invariants the database holds itself:
 * one production version, unique version strings, foreign keys to versions, CHECKs on statuses,
 * traffic splits and severities.
 */
export const sql = /* sql */ `
CREATE TABLE ml_model_versions (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  version VARCHAR(50) NOT NULL,
  model_type VARCHAR(20) NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
  trained_on TIMESTAMP WITH TIME ZONE NOT NULL,
  data_points INTEGER NOT NULL,
  metrics JSONB NOT NULL,
  config JSONB NOT NULL,
  hyperparameters JSONB,
  status VARCHAR(20) NOT NULL DEFAULT 'training',
  deployed_at TIMESTAMP WITH TIME ZONE,
  rollback_reason TEXT,
  performance_score INTEGER,
  file_url TEXT,
  checksum VARCHAR(64),
  parent_version VARCHAR(50),
  updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
  CONSTRAINT ml_model_versions_version_key UNIQUE (version),
  CONSTRAINT ml_model_versions_version_check CHECK (version ~ '^(0|[1-9][0-9]*)[.](0|[1-9][0-9]*)[.](0|[1-9][0-9]*)$'),
  CONSTRAINT ml_model_versions_model_type_check CHECK (model_type IN ('ppo', 'cppo')),
  CONSTRAINT ml_model_versions_status_check CHECK (
    status IN ('training', 'validated', 'rejected', 'ab_testing', 'production', 'retired', 'rolled_back', 'failed')
  ),
  CONSTRAINT ml_model_versions_data_points_check CHECK (data_points >= 0),
  CONSTRAINT ml_model_versions_checksum_check CHECK (checksum IS NULL OR checksum ~ '^[0-9a-f]{64}$'),
  CONSTRAINT ml_model_versions_parent_fkey FOREIGN KEY (parent_version) REFERENCES ml_model_versions (version)
);
-- At most one version in production at any time.
CREATE UNIQUE INDEX ml_model_versions_one_production ON ml_model_versions (status) WHERE status = 'production';
CREATE INDEX ml_model_versions_created_at_idx ON ml_model_versions (created_at DESC);

CREATE TABLE ab_tests (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  model_a_version VARCHAR(50) NOT NULL REFERENCES ml_model_versions (version),
  model_b_version VARCHAR(50) NOT NULL REFERENCES ml_model_versions (version),
  traffic_split INTEGER NOT NULL,
  start_time TIMESTAMP WITH TIME ZONE NOT NULL,
  end_time TIMESTAMP WITH TIME ZONE,
  status VARCHAR(20) NOT NULL DEFAULT 'active',
  winner VARCHAR(20),
  metrics JSONB,
  mode VARCHAR(10) NOT NULL DEFAULT 'ab',
  min_confidence DOUBLE PRECISION,
  end_reason TEXT,
  CONSTRAINT ab_tests_traffic_split_check CHECK (traffic_split BETWEEN 0 AND 100),
  CONSTRAINT ab_tests_status_check CHECK (status IN ('active', 'completed', 'stopped')),
  CONSTRAINT ab_tests_winner_check CHECK (winner IS NULL OR winner IN ('model_a', 'model_b', 'inconclusive')),
  CONSTRAINT ab_tests_distinct_models_check CHECK (model_a_version <> model_b_version),
  CONSTRAINT ab_tests_time_order_check CHECK (end_time IS NULL OR end_time >= start_time),
  CONSTRAINT ab_tests_mode_check CHECK (mode IN ('ab', 'shadow')),
  CONSTRAINT ab_tests_min_confidence_check CHECK (min_confidence IS NULL OR min_confidence BETWEEN 0 AND 1)
);
-- One candidate on live traffic at a time.
CREATE UNIQUE INDEX ab_tests_one_active ON ab_tests (status) WHERE status = 'active';

CREATE TABLE performance_alerts (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  type VARCHAR(50) NOT NULL,
  severity VARCHAR(20) NOT NULL,
  timestamp TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
  message TEXT NOT NULL,
  details JSONB,
  acknowledged BOOLEAN NOT NULL DEFAULT FALSE,
  resolved_at TIMESTAMP WITH TIME ZONE,
  resolution TEXT,
  version VARCHAR(50) REFERENCES ml_model_versions (version),
  dedupe_key TEXT,
  occurrences INTEGER NOT NULL DEFAULT 1,
  last_seen_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
  acknowledged_at TIMESTAMP WITH TIME ZONE,
  CONSTRAINT performance_alerts_severity_check CHECK (severity IN ('critical', 'high', 'medium', 'low')),
  CONSTRAINT performance_alerts_type_check CHECK (
    type IN ('performance_degradation', 'model_drift', 'training_failure', 'data_quality', 'deployment', 'system')
  ),
  CONSTRAINT performance_alerts_resolution_check CHECK (resolution IS NULL OR resolved_at IS NOT NULL),
  CONSTRAINT performance_alerts_occurrences_check CHECK (occurrences >= 1)
);
-- An open alert is raised once per dedupe key; repeats count occurrences.
CREATE UNIQUE INDEX performance_alerts_open_dedupe ON performance_alerts (dedupe_key)
  WHERE resolved_at IS NULL AND dedupe_key IS NOT NULL;
CREATE INDEX performance_alerts_timestamp_idx ON performance_alerts (timestamp DESC);

CREATE TABLE deployment_events (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  version VARCHAR(50) NOT NULL REFERENCES ml_model_versions (version),
  action VARCHAR(50) NOT NULL,
  status VARCHAR(20) NOT NULL,
  details JSONB,
  timestamp TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
  from_version VARCHAR(50) REFERENCES ml_model_versions (version),
  reason TEXT,
  actor VARCHAR(100),
  -- Insertion order, so the ledger is ordered even when two events share a timestamp.
  seq BIGINT GENERATED ALWAYS AS IDENTITY,
  CONSTRAINT deployment_events_status_check CHECK (status IN ('started', 'success', 'failed', 'skipped'))
);
CREATE INDEX deployment_events_timestamp_idx ON deployment_events (timestamp DESC);
-- The ledger of what was in production when, by whom and why, is append-only.
CREATE FUNCTION deployment_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'deployment_events is append-only: % refused', TG_OP USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
CREATE TRIGGER deployment_events_append_only BEFORE UPDATE OR DELETE ON deployment_events
  FOR EACH ROW EXECUTE FUNCTION deployment_events_append_only();
CREATE INDEX deployment_events_version_idx ON deployment_events (version);

CREATE TABLE model_performance_metrics (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  version VARCHAR(50) NOT NULL REFERENCES ml_model_versions (version),
  timestamp TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
  metrics JSONB NOT NULL,
  source VARCHAR(20) NOT NULL DEFAULT 'live',
  window_start TIMESTAMP WITH TIME ZONE,
  window_end TIMESTAMP WITH TIME ZONE,
  trade_count INTEGER,
  CONSTRAINT model_performance_metrics_source_check CHECK (source IN ('live', 'backtest', 'validation', 'ab_test')),
  CONSTRAINT model_performance_metrics_window_check CHECK (
    window_start IS NULL OR window_end IS NULL OR window_end >= window_start
  ),
  CONSTRAINT model_performance_metrics_trade_count_check CHECK (trade_count IS NULL OR trade_count >= 0)
);
CREATE INDEX model_performance_metrics_version_time_idx ON model_performance_metrics (version, timestamp);

CREATE TABLE market_bars (
  symbol VARCHAR(32) NOT NULL,
  interval VARCHAR(8) NOT NULL,
  ts TIMESTAMP WITH TIME ZONE NOT NULL,
  open DOUBLE PRECISION NOT NULL,
  high DOUBLE PRECISION NOT NULL,
  low DOUBLE PRECISION NOT NULL,
  close DOUBLE PRECISION NOT NULL,
  volume DOUBLE PRECISION NOT NULL DEFAULT 0,
  PRIMARY KEY (symbol, interval, ts),
  -- NaN compares greater than every number in PostgreSQL, so "< Infinity" also refuses NaN.
  CONSTRAINT market_bars_finite_check CHECK (
    open > '-Infinity' AND open < 'Infinity' AND high > '-Infinity' AND high < 'Infinity'
    AND low > '-Infinity' AND low < 'Infinity' AND close > '-Infinity' AND close < 'Infinity'
  ),
  CONSTRAINT market_bars_volume_check CHECK (volume >= 0 AND volume < 'Infinity'),
  CONSTRAINT market_bars_symbol_check CHECK (length(symbol) > 0),
  CONSTRAINT market_bars_interval_check CHECK (interval ~ '^[0-9]+(s|m|h|d|w|mo)$')
);

CREATE TABLE live_trades (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  idempotency_key VARCHAR(200) NOT NULL,
  symbol VARCHAR(32) NOT NULL,
  side VARCHAR(5) NOT NULL,
  quantity DOUBLE PRECISION NOT NULL,
  entry_time TIMESTAMP WITH TIME ZONE NOT NULL,
  entry_price DOUBLE PRECISION NOT NULL,
  exit_time TIMESTAMP WITH TIME ZONE,
  exit_price DOUBLE PRECISION,
  fees DOUBLE PRECISION NOT NULL DEFAULT 0,
  pnl DOUBLE PRECISION,
  status VARCHAR(10) NOT NULL DEFAULT 'open',
  model_version VARCHAR(50) REFERENCES ml_model_versions (version),
  ab_test_id UUID REFERENCES ab_tests (id),
  arm CHAR(1),
  observation JSONB,
  account VARCHAR(100),
  created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
  updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
  CONSTRAINT live_trades_idempotency_key_key UNIQUE (idempotency_key),
  CONSTRAINT live_trades_side_check CHECK (side IN ('long', 'short')),
  CONSTRAINT live_trades_status_check CHECK (status IN ('open', 'closed')),
  CONSTRAINT live_trades_quantity_check CHECK (quantity > 0 AND quantity < 'Infinity'),
  CONSTRAINT live_trades_prices_finite_check CHECK (
    entry_price > '-Infinity' AND entry_price < 'Infinity'
    AND (exit_price IS NULL OR (exit_price > '-Infinity' AND exit_price < 'Infinity'))
    AND (pnl IS NULL OR (pnl > '-Infinity' AND pnl < 'Infinity'))
  ),
  CONSTRAINT live_trades_fees_check CHECK (fees >= 0 AND fees < 'Infinity'),
  CONSTRAINT live_trades_closed_check CHECK (status = 'open' OR (exit_time IS NOT NULL AND exit_price IS NOT NULL)),
  CONSTRAINT live_trades_arm_check CHECK (arm IS NULL OR (arm IN ('A', 'B') AND ab_test_id IS NOT NULL))
);
CREATE INDEX live_trades_exit_time_idx ON live_trades (exit_time DESC);
CREATE INDEX live_trades_symbol_entry_idx ON live_trades (symbol, entry_time);
CREATE INDEX live_trades_version_exit_idx ON live_trades (model_version, exit_time);
CREATE INDEX live_trades_ab_test_idx ON live_trades (ab_test_id) WHERE ab_test_id IS NOT NULL;

CREATE TABLE model_artifacts (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  version VARCHAR(50) NOT NULL REFERENCES ml_model_versions (version) ON DELETE CASCADE,
  content_type VARCHAR(100) NOT NULL,
  size_bytes INTEGER NOT NULL,
  sha256 CHAR(64) NOT NULL,
  data BYTEA NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
  CONSTRAINT model_artifacts_version_key UNIQUE (version),
  CONSTRAINT model_artifacts_sha256_check CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  CONSTRAINT model_artifacts_size_check CHECK (size_bytes = octet_length(data))
);

CREATE TABLE retraining_jobs (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  status VARCHAR(20) NOT NULL DEFAULT 'queued',
  stage VARCHAR(30),
  progress DOUBLE PRECISION NOT NULL DEFAULT 0,
  logs JSONB NOT NULL DEFAULT '[]'::jsonb,
  error TEXT,
  trigger VARCHAR(20) NOT NULL DEFAULT 'manual',
  data_start TIMESTAMP WITH TIME ZONE,
  data_end TIMESTAMP WITH TIME ZONE,
  base_version VARCHAR(50) REFERENCES ml_model_versions (version),
  result_version VARCHAR(50) REFERENCES ml_model_versions (version),
  result JSONB,
  config JSONB,
  attempt INTEGER NOT NULL DEFAULT 1,
  worker TEXT,
  heartbeat_at TIMESTAMP WITH TIME ZONE,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
  started_at TIMESTAMP WITH TIME ZONE,
  finished_at TIMESTAMP WITH TIME ZONE,
  updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
  CONSTRAINT retraining_jobs_status_check CHECK (
    status IN ('queued', 'running', 'succeeded', 'failed', 'skipped', 'cancelled')
  ),
  CONSTRAINT retraining_jobs_progress_check CHECK (progress >= 0 AND progress <= 1),
  CONSTRAINT retraining_jobs_trigger_check CHECK (trigger IN ('manual', 'schedule', 'startup', 'api')),
  CONSTRAINT retraining_jobs_window_check CHECK (data_start IS NULL OR data_end IS NULL OR data_end >= data_start),
  CONSTRAINT retraining_jobs_logs_check CHECK (jsonb_typeof(logs) = 'array'),
  CONSTRAINT retraining_jobs_attempt_check CHECK (attempt >= 1)
);
-- Only one retraining runs at a time.
CREATE UNIQUE INDEX retraining_jobs_one_running ON retraining_jobs (status) WHERE status = 'running';
CREATE INDEX retraining_jobs_created_at_idx ON retraining_jobs (created_at DESC);

CREATE TABLE prediction_samples (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  version VARCHAR(50) NOT NULL REFERENCES ml_model_versions (version),
  ts TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
  observation JSONB NOT NULL,
  action SMALLINT,
  arm CHAR(1),
  symbol VARCHAR(32),
  CONSTRAINT prediction_samples_observation_check CHECK (jsonb_typeof(observation) = 'array'),
  CONSTRAINT prediction_samples_arm_check CHECK (arm IS NULL OR arm IN ('A', 'B'))
);
CREATE INDEX prediction_samples_version_ts_idx ON prediction_samples (version, ts);
`;

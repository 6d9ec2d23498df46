/**
 * Drift detection: the training reference sample stored with each version (the normalised
 * feature rows the model was trained on, a bounded random subsample) and every drift check's
 * result with the settings it used.
 */
export const sql = /* sql */ `
CREATE TABLE model_drift_references (
  version VARCHAR(50) PRIMARY KEY REFERENCES ml_model_versions (version) ON DELETE CASCADE,
  feature_names JSONB NOT NULL,
  row_count INTEGER NOT NULL,
  -- Row-major float32 little-endian, row_count x feature count.
  data BYTEA NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
  CONSTRAINT model_drift_references_names_check CHECK (
    jsonb_typeof(feature_names) = 'array' AND jsonb_array_length(feature_names) > 0
  ),
  CONSTRAINT model_drift_references_size_check CHECK (
    row_count >= 0 AND octet_length(data) = 4 * row_count * jsonb_array_length(feature_names)
  )
);

CREATE TABLE drift_reports (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  version VARCHAR(50) NOT NULL REFERENCES ml_model_versions (version),
  timestamp TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
  kind VARCHAR(20) NOT NULL,
  verdict VARCHAR(20) NOT NULL,
  settings JSONB NOT NULL,
  -- Features sorted by PSI (largest first) or the change-detection result.
  details JSONB NOT NULL,
  live_samples INTEGER NOT NULL,
  reference_samples INTEGER,
  window_start TIMESTAMP WITH TIME ZONE,
  window_end TIMESTAMP WITH TIME ZONE,
  CONSTRAINT drift_reports_kind_check CHECK (kind IN ('features', 'returns')),
  CONSTRAINT drift_reports_verdict_check CHECK (verdict IN ('stable', 'drift', 'insufficient_data')),
  CONSTRAINT drift_reports_samples_check CHECK (live_samples >= 0 AND (reference_samples IS NULL OR reference_samples >= 0))
);
CREATE INDEX drift_reports_version_time_idx ON drift_reports (version, timestamp DESC);
CREATE INDEX drift_reports_time_idx ON drift_reports (timestamp DESC);
`;

import type { NewDriftReport } from '../../src/store/drift.js';

/** A feature drift report with one drifted feature (rsi_14, PSI 0.41) and one stable one. */
export function featureDriftReport(version: string): NewDriftReport {
  return {
    version,
    kind: 'features',
    verdict: 'drift',
    settings: {},
    details: {
      drifted: ['rsi_14'],
      features: [
        {
          name: 'rsi_14',
          psi: 0.41,
          ks: { statistic: 0.31, pValue: 0.0001 },
          wasserstein: 0.2,
          drifted: true,
        },
        {
          name: 'return_1',
          psi: 0.03,
          ks: { statistic: 0.04, pValue: 0.7 },
          wasserstein: 0.01,
          drifted: false,
        },
      ],
    },
    liveSamples: 480,
    referenceSamples: 2000,
  };
}

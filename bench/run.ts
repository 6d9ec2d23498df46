/**
 * `npm run bench -- NAME [--json]`: runs one benchmark and prints its figures, each beside the
 * baseline run in the same process; with --json the last line is one JSON object of them.
 */
import { benchDrift } from './drift.js';
import { benchFeatures } from './features.js';
import { benchFirstModel } from './first-model.js';
import { benchHpoScaling } from './hpo-scaling.js';
import { benchInference } from './inference.js';
import { benchIngest } from './ingest.js';
import { benchLoad } from './load.js';
import { benchPpo } from './ppo.js';
import { benchPredictHttp } from './predict-http.js';
import { benchPredictor } from './predictor.js';
import { benchRetrain } from './retrain.js';
import { benchValidate } from './validate.js';

const BENCHMARKS: Record<string, () => Promise<Record<string, number>>> = {
  features: benchFeatures,
  first_model: benchFirstModel,
  drift: benchDrift,
  hpo_scaling: benchHpoScaling,
  ingest: benchIngest,
  load: benchLoad,
  ppo: benchPpo,
  inference: benchInference,
  predictor: benchPredictor,
  predict_http: benchPredictHttp,
  retrain: benchRetrain,
  validate: benchValidate,
};

const args = process.argv.slice(2);
const name = args.find((arg) => !arg.startsWith('--'));
const json = args.includes('--json');

if (!name || !(name in BENCHMARKS)) {
  process.stderr.write(
    `usage: npm run bench -- NAME [--json]\nbenchmarks: ${Object.keys(BENCHMARKS).join(', ')}\n`,
  );
  process.exit(2);
}

const figures = await BENCHMARKS[name]!();
const width = Math.max(...Object.keys(figures).map((key) => key.length));
for (const [key, value] of Object.entries(figures)) {
  process.stdout.write(`${key.padEnd(width)}  ${value.toLocaleString('en-US')}\n`);
}
if (json) process.stdout.write(`${JSON.stringify(figures)}\n`);

/** A/B tests: each with its split, trades and metrics per arm, P(B beats A) and the recommendation. */
import { useState, type FormEvent } from 'react';
import { useApiClient, useApiResource, type AbTest, type ArmSummary } from '../../../src/react/index.js';
import { dateTime, decimal, integer, percent } from '../format.js';
import { Badge, Card, Empty, ErrorNote, useAction, useIsAdmin } from './common.js';

const RECOMMENDATIONS: Record<string, string> = {
  promote_b: 'Promote B: the candidate is better.',
  keep_a: 'Keep A: the candidate is not better.',
  continue: 'Continue: not enough evidence yet.',
};

export function AbTests() {
  const tests = useApiResource((api) => api.listAbTests({ limit: 50 }), {
    events: ['deployment'],
    pollIntervalMs: 30_000,
  });
  const admin = useIsAdmin();
  const list = tests.data ?? [];
  const [picked, setPicked] = useState<string | null>(null);
  const selected = list.find((t) => t.id === picked) ?? list[0] ?? null;

  return (
    <div className="stack">
      <ErrorNote error={tests.error} />
      {admin ? <StartTest onStarted={() => void tests.refresh()} /> : null}
      <Card title="A/B tests">
        {list.length === 0 && !tests.loading ? (
          <Empty>No A/B test has run yet.</Empty>
        ) : (
          <ul className="choices">
            {list.map((test) => (
              <li key={test.id}>
                <button
                  type="button"
                  className={test.id === selected?.id ? 'chosen' : ''}
                  onClick={() => setPicked(test.id)}
                >
                  {test.modelAVersion} vs {test.modelBVersion} <Badge value={test.status} />{' '}
                  <span className="muted">{dateTime(test.startTime)}</span>
                </button>
              </li>
            ))}
          </ul>
        )}
      </Card>
      {selected ? <TestResults test={selected} onStopped={() => void tests.refresh()} /> : null}
    </div>
  );
}

function TestResults({ test, onStopped }: { test: AbTest; onStopped: () => void }) {
  const client = useApiClient();
  const admin = useIsAdmin();
  const results = useApiResource((api) => api.getAbTest(test.id), {
    deps: [test.id, test.status],
    pollIntervalMs: test.status === 'active' ? 30_000 : 0,
  });
  const [reason, setReason] = useState('');
  const stop = useAction();
  const decision = results.data?.decision;

  const onStop = async (event: FormEvent) => {
    event.preventDefault();
    if (await stop.run(() => client.stopAbTest(test.id, reason.trim()))) onStopped();
  };

  return (
    <Card
      title={`${test.modelAVersion} (A) vs ${test.modelBVersion} (B)`}
      aside={<Badge value={test.status} />}
    >
      <p>
        {test.mode === 'shadow'
          ? 'Shadow test'
          : `${100 - test.trafficSplit} % of traffic to A, ${test.trafficSplit} % to B`}
        , started {dateTime(test.startTime)}
        {test.endTime ? `, ended ${dateTime(test.endTime)}` : ''}.{test.endReason ? ` ${test.endReason}` : ''}
      </p>
      <ErrorNote error={results.error} />
      {decision ? (
        <>
          <div className="table-scroll">
            <table aria-label="arms">
              <thead>
                <tr>
                  <th>Arm</th>
                  <th className="number">Trades</th>
                  <th className="number">Mean return</th>
                  <th className="number">Win rate</th>
                  <th className="number">Total return</th>
                </tr>
              </thead>
              <tbody>
                <ArmRow name={`A ${test.modelAVersion}`} arm={decision.a} />
                <ArmRow name={`B ${test.modelBVersion}`} arm={decision.b} />
              </tbody>
            </table>
          </div>
          <p className="big">
            P(B beats A): <strong>{percent(decision.probabilityBBeatsA)}</strong>{' '}
            <span className="muted">
              {decision.probabilityBBeatsA === null
                ? '(no estimate before each arm has closed trades)'
                : // The bar is high at the first looks (valid under repeated looks) and falls with the trades.
                  `(needs ${percent(decision.sequential.requiredProbability, 2)} at ${integer(
                    Math.min(decision.a.trades, decision.b.trades),
                  )} of ${integer(decision.sequential.maxTradesPerArm)} trades per arm to promote B)`}
            </span>
          </p>
          <p>
            <Badge value={decision.recommendation} /> {RECOMMENDATIONS[decision.recommendation]}{' '}
            <span className="muted">{decision.reason}</span>
          </p>
        </>
      ) : results.loading ? (
        <p className="loading">Reading the results…</p>
      ) : null}
      {admin && test.status === 'active' ? (
        <form className="form" onSubmit={(event) => void onStop(event)} aria-label="stop test">
          <label>
            Reason <input required value={reason} onChange={(event) => setReason(event.target.value)} />
          </label>
          <button type="submit" className="danger" disabled={stop.busy || !reason.trim()}>
            Stop the test
          </button>
          <ErrorNote error={stop.error} />
        </form>
      ) : null}
    </Card>
  );
}

function ArmRow({ name, arm }: { name: string; arm: ArmSummary }) {
  return (
    <tr>
      <td>{name}</td>
      <td className="number">{integer(arm.trades)}</td>
      <td className="number">{percent(arm.mean, 3)}</td>
      <td className="number">{percent(arm.winRate)}</td>
      <td className="number">{percent(arm.totalReturn)}</td>
    </tr>
  );
}

function StartTest({ onStarted }: { onStarted: () => void }) {
  const client = useApiClient();
  const candidates = useApiResource((api) => api.listVersions({ status: 'validated', limit: 50 }), {
    events: ['deployment', 'job'],
  });
  const [picked, setPicked] = useState('');
  const [split, setSplit] = useState(50);
  const [mode, setMode] = useState<'ab' | 'shadow'>('ab');
  const start = useAction();
  const list = candidates.data ?? [];
  const modelB = list.some((v) => v.version === picked) ? picked : (list[0]?.version ?? '');

  const onStart = async (event: FormEvent) => {
    event.preventDefault();
    if (await start.run(() => client.startAbTest({ modelB, trafficSplit: split, mode }))) onStarted();
  };
  if (list.length === 0) return null;
  return (
    <Card title="Start an A/B test against production">
      <form className="form" onSubmit={(event) => void onStart(event)} aria-label="start test">
        <label>
          Candidate (B){' '}
          <select value={modelB} onChange={(event) => setPicked(event.target.value)}>
            {list.map((v) => (
              <option key={v.version} value={v.version}>
                {v.version} (Sharpe {decimal(v.metrics.sharpeRatio)})
              </option>
            ))}
          </select>
        </label>
        <label>
          Traffic to B, %{' '}
          <input
            type="number"
            min={0}
            max={100}
            value={split}
            onChange={(event) => setSplit(Number(event.target.value))}
          />
        </label>
        <label>
          Mode{' '}
          <select value={mode} onChange={(event) => setMode(event.target.value as 'ab' | 'shadow')}>
            <option value="ab">A/B: B serves its share of traffic</option>
            <option value="shadow">Shadow: B only decides alongside A</option>
          </select>
        </label>
        <button type="submit" disabled={start.busy || !modelB}>
          Start the test
        </button>
        <ErrorNote error={start.error} />
      </form>
    </Card>
  );
}

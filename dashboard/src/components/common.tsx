/** Small pieces every page uses: cards, badges, metric lists, errors, and actions that can fail. */
import { createContext, useCallback, useContext, useState, type ReactNode } from 'react';
import { describeError, type KeyRole, type ModelMetrics } from '../../../src/react/index.js';
import { KEY_METRICS, words } from '../format.js';

/** The key's role: write buttons are shown to the admin key only. */
export const RoleContext = createContext<KeyRole>('read');
export const useIsAdmin = () => useContext(RoleContext) === 'admin';

export function Card(props: { title: string; children: ReactNode; className?: string; aside?: ReactNode }) {
  return (
    <section className={`card ${props.className ?? ''}`} aria-label={props.title}>
      <header className="card-header">
        <h2>{props.title}</h2>
        {props.aside}
      </header>
      {props.children}
    </section>
  );
}

const TONES: Record<string, 'good' | 'warn' | 'bad' | 'info'> = {
  healthy: 'good',
  production: 'good',
  succeeded: 'good',
  success: 'good',
  stable: 'good',
  validated: 'info',
  active: 'info',
  promote_b: 'good',
  degraded: 'warn',
  running: 'warn',
  queued: 'warn',
  ab_testing: 'warn',
  training: 'warn',
  drift: 'warn',
  continue: 'warn',
  medium: 'warn',
  low: 'info',
  critical: 'bad',
  high: 'bad',
  failed: 'bad',
  rejected: 'bad',
  rolled_back: 'bad',
  keep_a: 'bad',
};

export function Badge({ value, label }: { value: string; label?: string }) {
  return <span className={`badge badge-${TONES[value] ?? 'neutral'}`}>{label ?? words(value)}</span>;
}

export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p className="error" role="alert">
      {describeError(error)}
    </p>
  );
}

export function MetricList({ metrics }: { metrics: ModelMetrics | null | undefined }) {
  return (
    <dl className="metrics">
      {KEY_METRICS.map(({ name, label, format }) => (
        <div key={name}>
          <dt>{label}</dt>
          <dd>{format(metrics?.[name])}</dd>
        </div>
      ))}
    </dl>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

/** An action started by a button: busy while it runs, its failure kept to be shown. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = useCallback(async <T,>(action: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError(null);
    try {
      return await action();
    } catch (caught) {
      setError(caught);
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { run, busy, error, clearError: () => setError(null) };
}

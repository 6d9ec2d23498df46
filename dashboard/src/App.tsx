/** The dashboard: the key checked and its role found, then the pages behind a tab bar. */
import { useEffect, useMemo, useState } from 'react';
import {
  ApiError,
  ApiProvider,
  createApiClient,
  useAlerts,
  useSystemHealth,
  type KeyRole,
} from '../../src/react/index.js';
import { AbTests } from './components/AbTests.js';
import { Alerts } from './components/Alerts.js';
import { Badge, ErrorNote, RoleContext } from './components/common.js';
import { Overview } from './components/Overview.js';
import { Performance } from './components/Performance.js';
import { SignIn } from './components/SignIn.js';
import { Versions } from './components/Versions.js';
import { currentPage, forgetKey, storeKey, takeKey, type Page } from './session.js';

/** `baseUrl`: where the API is; default the page's own origin, which serves both. */
export function App({ baseUrl = '' }: { baseUrl?: string }) {
  const [key, setKey] = useState<string | null>(() => takeKey());
  const [role, setRole] = useState<KeyRole | null>(null);
  const [problem, setProblem] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  const client = useMemo(() => (key ? createApiClient({ baseUrl, key }) : null), [baseUrl, key]);

  useEffect(() => {
    if (!client) return;
    let cancelled = false;
    setRole(null);
    setProblem(null);
    client.whoami().then(
      (answer) => {
        if (!cancelled) setRole(answer.role);
      },
      (error: unknown) => {
        if (cancelled) return;
        setProblem(error);
        if (error instanceof ApiError && error.code === 'unauthorized') {
          forgetKey();
          setKey(null);
        }
      },
    );
    return () => {
      cancelled = true;
    };
  }, [client, attempt]);

  if (!client) {
    return (
      <SignIn
        problem={problem}
        onSignIn={(given) => {
          storeKey(given);
          setKey(given);
        }}
      />
    );
  }
  if (!role) {
    return problem ? (
      <main className="sign-in">
        <ErrorNote error={problem} />
        <button type="button" onClick={() => setAttempt((n) => n + 1)}>
          Try again
        </button>
      </main>
    ) : (
      <p className="loading">Checking the key…</p>
    );
  }
  return (
    <RoleContext.Provider value={role}>
      <ApiProvider client={client}>
        <Shell
          role={role}
          onSignOut={() => {
            forgetKey();
            setRole(null);
            setKey(null);
          }}
        />
      </ApiProvider>
    </RoleContext.Provider>
  );
}

const TABS: { page: Page; label: string }[] = [
  { page: 'overview', label: 'Overview' },
  { page: 'versions', label: 'Versions' },
  { page: 'ab-tests', label: 'A/B tests' },
  { page: 'performance', label: 'Performance' },
  { page: 'alerts', label: 'Alerts' },
];

/** Open alerts counted on the tab; more show as "99+". */
const ALERT_BADGE_MAX = 100;

function Shell({ role, onSignOut }: { role: KeyRole; onSignOut: () => void }) {
  const [page, setPage] = useState<Page>(currentPage);
  useEffect(() => {
    const onChange = () => setPage(currentPage());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  const { health } = useSystemHealth();
  const { alerts } = useAlerts({ limit: ALERT_BADGE_MAX });

  return (
    <div className="shell">
      <header className="top">
        <h1>Retraining</h1>
        {health ? <Badge value={health.status} /> : null}
        {role === 'read' ? <span className="tag">read-only key</span> : null}
        <button type="button" className="link" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <nav className="tabs" aria-label="pages">
        {TABS.map((tab) => (
          <a key={tab.page} href={`#/${tab.page}`} aria-current={tab.page === page ? 'page' : undefined}>
            {tab.label}
            {tab.page === 'alerts' && alerts.length > 0 ? (
              <span className="count">
                {alerts.length >= ALERT_BADGE_MAX ? `${ALERT_BADGE_MAX - 1}+` : alerts.length}
              </span>
            ) : null}
          </a>
        ))}
      </nav>
      <main>
        {page === 'overview' ? <Overview /> : null}
        {page === 'versions' ? <Versions /> : null}
        {page === 'ab-tests' ? <AbTests /> : null}
        {page === 'performance' ? <Performance /> : null}
        {page === 'alerts' ? <Alerts /> : null}
      </main>
      <footer className="foot">
        <a href="/docs">API documentation</a>
      </footer>
    </div>
  );
}

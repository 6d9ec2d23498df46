/** The key form, for a page opened without the link `retrain start` prints. */
import { useState, type FormEvent } from 'react';
import { ErrorNote } from './common.js';

export function SignIn({ problem, onSignIn }: { problem: unknown; onSignIn: (key: string) => void }) {
  const [key, setKey] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (key.trim()) onSignIn(key.trim());
  };
  return (
    <main className="sign-in">
      <h1>Retraining dashboard</h1>
      <p>
        Open the <code>dashboard:</code> link that <code>retrain start</code> printed, or paste a key: the
        admin key may act, the read key only looks.
      </p>
      <form className="form" onSubmit={submit} aria-label="sign in">
        <label>
          API key{' '}
          <input
            type="password"
            autoComplete="off"
            value={key}
            onChange={(event) => setKey(event.target.value)}
          />
        </label>
        <button type="submit" disabled={!key.trim()}>
          Open the dashboard
        </button>
      </form>
      <ErrorNote error={problem} />
    </main>
  );
}

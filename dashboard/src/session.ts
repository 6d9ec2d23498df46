/**
 * Where the dashboard's key comes from: the link `retrain start` prints (`/#key=KEY`), kept in
 * sessionStorage for this tab and removed from the address bar at once (so it is not bookmarked,
 * shared by a screenshot or left in the history), or the sign-in form. And which page is shown:
 * `#/versions` and so on.
 */
const STORAGE_KEY = 'retraining.apiKey';

export const PAGES = ['overview', 'versions', 'ab-tests', 'performance', 'alerts'] as const;
export type Page = (typeof PAGES)[number];

/** The key from `#key=…` (then stored and removed from the URL), else the one stored for this tab. */
export function takeKey(): string | null {
  const match = /(?:^#|[&?])key=([^&]+)/.exec(window.location.hash);
  if (match) {
    const key = decodeURIComponent(match[1]!);
    storeKey(key);
    window.history.replaceState(null, '', window.location.pathname + window.location.search);
    return key;
  }
  return window.sessionStorage.getItem(STORAGE_KEY);
}

export function storeKey(key: string): void {
  window.sessionStorage.setItem(STORAGE_KEY, key);
}

export function forgetKey(): void {
  window.sessionStorage.removeItem(STORAGE_KEY);
}

export function currentPage(): Page {
  const name = /^#\/([\w-]+)/.exec(window.location.hash)?.[1];
  return (PAGES as readonly string[]).includes(name ?? '') ? (name as Page) : 'overview';
}

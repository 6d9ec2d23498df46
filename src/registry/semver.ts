import { ValidationError } from '../errors.js';

/** Model versions are semantic versions; a retrain bumps the minor, an architecture change the major. */
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

export type VersionBump = 'major' | 'minor' | 'patch';

export function parseVersion(version: string): [number, number, number] {
  const match = SEMVER.exec(version);
  if (!match) {
    throw new ValidationError(
      `model version "${version}" is not a semantic version; expected MAJOR.MINOR.PATCH, e.g. 1.4.0`,
      'version',
    );
  }
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

export function compareVersions(a: string, b: string): number {
  const [x, y] = [parseVersion(a), parseVersion(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}

/** The version after `latest` (1.0.0 when there is none). */
export function nextVersion(latest: string | null, bump: VersionBump = 'minor'): string {
  if (latest === null) return '1.0.0';
  const [major, minor, patch] = parseVersion(latest);
  if (bump === 'major') return `${major + 1}.0.0`;
  if (bump === 'minor') return `${major}.${minor + 1}.0`;
  return `${major}.${minor}.${patch + 1}`;
}

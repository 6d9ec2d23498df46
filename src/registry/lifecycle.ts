import { ConflictError } from '../errors.js';
import type { VersionStatus } from '../store/versions.js';

/**
 * training → validated | rejected | failed → ab_testing → production → retired, and production
 * → rolled_back. A rolled-back or retired version may return to production only by an explicit
 * deployment (a rollback to it, or a redeploy).
 */
const TRANSITIONS: Record<VersionStatus, readonly VersionStatus[]> = {
  training: ['validated', 'rejected', 'failed'],
  validated: ['ab_testing', 'production', 'retired'],
  rejected: [],
  failed: [],
  ab_testing: ['production', 'validated', 'retired'],
  production: ['retired', 'rolled_back'],
  retired: ['production'],
  rolled_back: ['production', 'retired'],
};

export function canTransition(from: VersionStatus, to: VersionStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(version: string, from: VersionStatus, to: VersionStatus): void {
  if (!canTransition(from, to)) {
    const allowed = TRANSITIONS[from];
    throw new ConflictError(
      `model version ${version} is ${from} and cannot become ${to}; ` +
        (allowed.length > 0 ? `from ${from} it can become ${allowed.join(', ')}` : `${from} is final`),
    );
  }
}

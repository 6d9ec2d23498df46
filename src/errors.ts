/**
 * One error class per kind of failure, so the CLI can map each to an exit code and the HTTP API
 * to a status. Messages name what is wrong and what was expected.
 */
export abstract class RetrainingError extends Error {
  /** Stable machine-readable code, e.g. `config_invalid`. */
  abstract readonly code: string;
  /** HTTP status the API answers with. */
  abstract readonly httpStatus: number;
  /** Process exit code the CLI ends with: 1 failed, 2 usage or configuration error. */
  readonly exitCode: 1 | 2 = 1;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export interface ConfigIssue {
  /** Dotted path of the field, e.g. `schedule.cronExpression`. */
  field: string;
  /** The offending value, when there is one. */
  value?: unknown;
  /** What is wrong and what was expected. */
  message: string;
}

/** An invalid configuration: every problem found, each naming its field. */
export class ConfigError extends RetrainingError {
  readonly code = 'config_invalid';
  readonly httpStatus = 400;
  override readonly exitCode = 2;
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[], source?: string) {
    const where = source ? ` (${source})` : '';
    const lines = issues.map((issue) => `  - ${issue.message}`);
    super(`invalid configuration${where}:\n${lines.join('\n')}`);
    this.issues = issues;
  }
}

/** Bad input from a caller (a request body, a CSV row, a CLI argument value). */
export class ValidationError extends RetrainingError {
  readonly code = 'invalid_input';
  readonly httpStatus = 400;
  override readonly exitCode = 2;
  readonly field: string | undefined;

  constructor(message: string, field?: string) {
    super(message);
    this.field = field;
  }
}

export class NotFoundError extends RetrainingError {
  readonly code = 'not_found';
  readonly httpStatus = 404;
}

/** An illegal state transition: a second production version, a deployment inside the cooldown. */
export class ConflictError extends RetrainingError {
  readonly code = 'conflict';
  readonly httpStatus = 409;
}

/** The database cannot be reached or opened: a server that refuses, a data folder we cannot write. */
export class DatabaseUnavailableError extends RetrainingError {
  readonly code = 'database_unavailable';
  readonly httpStatus = 503;
}

/** The embedded database folder is held by another process. */
export class DatabaseLockedError extends RetrainingError {
  readonly code = 'database_locked';
  readonly httpStatus = 503;
  readonly holderPid: number | undefined;

  constructor(message: string, holderPid?: number) {
    super(message);
    this.holderPid = holderPid;
  }
}

export class MigrationError extends RetrainingError {
  readonly code = 'migration_failed';
  readonly httpStatus = 500;
}

/** A stored model artifact whose bytes do not match its checksum, or cannot be read as one. */
export class ArtifactChecksumError extends RetrainingError {
  readonly code = 'artifact_corrupt';
  readonly httpStatus = 500;
}

/** A run stopped on request (a cancelled job, a shutdown). */
export class CancelledError extends RetrainingError {
  readonly code = 'cancelled';
  readonly httpStatus = 409;
}

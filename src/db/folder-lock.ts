import { closeSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DatabaseLockedError } from '../errors.js';

/**
 * An exclusive lock on the embedded database folder. PGlite has a single connection and no guard
 * of its own: two processes on one folder both succeed and silently lose rows. The lock file holds
 * the owner's pid, host and process start time, so a lock left by a killed process is recognised
 * as stale and taken over, and a live owner is named in the error.
 */
export interface FolderLock {
  readonly path: string;
  release(): void;
}

interface LockOwner {
  pid: number;
  hostname: string;
  /** Process start time from /proc (Linux), to tell a reused pid from the owner. */
  processStart: string | null;
  startedAt: string;
  command: string;
}

export const LOCK_FILE_NAME = 'retraining.lock';

export function acquireFolderLock(dir: string): FolderLock {
  const path = join(dir, LOCK_FILE_NAME);
  const me: LockOwner = {
    pid: process.pid,
    hostname: hostname(),
    processStart: processStartTime(process.pid),
    startedAt: new Date().toISOString(),
    command: process.argv.slice(1).join(' ').slice(0, 200),
  };
  const content = JSON.stringify(me);

  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      try {
        writeSync(fd, content);
      } finally {
        closeSync(fd);
      }
      return makeLock(path, content);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = readOwner(path);
    if (owner === 'missing') continue;
    if (owner !== 'unreadable' && isAlive(owner)) throw lockedError(dir, path, owner);
    if (owner === 'unreadable' && isFreshAndEmpty(path)) {
      // Another process is between creating and writing the file.
      sleepSync(50);
      continue;
    }
    takeOverStale(path, owner);
  }
  throw new DatabaseLockedError(`could not take the lock ${path}: it keeps changing hands; try again`);
}

function makeLock(path: string, content: string): FolderLock {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    try {
      // Only remove the file while it is still ours.
      if (readFileSync(path, 'utf8') === content) unlinkSync(path);
    } catch {
      // Already gone.
    }
  };
  process.on('exit', release);
  return { path, release };
}

function readOwner(path: string): LockOwner | 'missing' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockOwner>;
    if (typeof parsed.pid !== 'number' || typeof parsed.hostname !== 'string') return 'unreadable';
    return {
      pid: parsed.pid,
      hostname: parsed.hostname,
      processStart: parsed.processStart ?? null,
      startedAt: parsed.startedAt ?? 'unknown',
      command: parsed.command ?? '',
    };
  } catch {
    return 'unreadable';
  }
}

function isAlive(owner: LockOwner): boolean {
  // On another host we cannot tell; assume it is alive rather than risk two writers.
  if (owner.hostname !== hostname()) return true;
  if (owner.pid === process.pid) return true;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const start = processStartTime(owner.pid);
  return owner.processStart === null || start === null || start === owner.processStart;
}

function takeOverStale(path: string, seen: LockOwner | 'unreadable'): void {
  // Move the stale file aside atomically, then check it was the one we judged stale: if another
  // process replaced it meanwhile, put that one back and let the loop decide again.
  const aside = `${path}.stale-${process.pid}-${Date.now()}`;
  try {
    renameSync(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = readOwner(aside);
  const same =
    seen === 'unreadable'
      ? moved === 'unreadable'
      : typeof moved === 'object' && moved.pid === seen.pid && moved.startedAt === seen.startedAt;
  if (same) {
    unlinkSync(aside);
    return;
  }
  try {
    renameSync(aside, path);
  } catch {
    unlinkSync(aside);
  }
}

function lockedError(dir: string, path: string, owner: LockOwner): DatabaseLockedError {
  const who =
    owner.pid === process.pid
      ? 'this process already has it open'
      : `process ${owner.pid} on ${owner.hostname} holds it (since ${owner.startedAt}${owner.command ? `, running "${owner.command}"` : ''})`;
  return new DatabaseLockedError(
    `the embedded database in ${dir} is in use: ${who}. ` +
      'The embedded database belongs to one process; stop the other process, or run several processes ' +
      'against a PostgreSQL server by setting DATABASE_URL. ' +
      `If that process is gone (another host sharing this folder), delete ${path}.`,
    owner.pid,
  );
}

function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime) counted after the command name, which may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

function isFreshAndEmpty(path: string): boolean {
  try {
    const stats = statSync(path);
    return stats.size === 0 && Date.now() - stats.mtimeMs < 3000;
  } catch {
    return false;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * API keys: an admin key (every route) and a read key (reads only), from RETRAINING_ADMIN_KEY and
 * RETRAINING_READ_KEY, or generated on a first local start and kept in the data folder (mode
 * 0600) so a second start prints the same link. Compared in constant time.
 */
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { HttpError } from './errors.js';

export type KeyRole = 'admin' | 'read';

export interface ApiKeys {
  admin: string;
  /** Absent: reads need the admin key too. */
  read?: string;
  /** Where the keys came from, for the start banner (never the keys themselves in logs). */
  source: 'environment' | 'generated' | 'stored';
  /** The file holding generated keys. */
  file?: string;
}

export const KEYS_FILE = 'api-keys.json';
const MIN_KEY_LENGTH = 16;

/** The keys from the environment, or null when none is set. */
export function keysFromEnvironment(env: NodeJS.ProcessEnv): ApiKeys | null {
  const admin = env.RETRAINING_ADMIN_KEY?.trim();
  const read = env.RETRAINING_READ_KEY?.trim();
  if (!admin && !read) return null;
  if (!admin) {
    throw new ConfigError([
      {
        field: 'RETRAINING_ADMIN_KEY',
        message:
          'RETRAINING_READ_KEY is set but RETRAINING_ADMIN_KEY is not; set both (or neither on loopback)',
      },
    ]);
  }
  const keys: ApiKeys = { admin, source: 'environment', ...(read ? { read } : {}) };
  checkKeys(keys);
  return keys;
}

function checkKeys(keys: ApiKeys): void {
  for (const [field, key] of [
    ['RETRAINING_ADMIN_KEY', keys.admin],
    ['RETRAINING_READ_KEY', keys.read],
  ] as const) {
    if (key !== undefined && (key.length < MIN_KEY_LENGTH || /\s/.test(key))) {
      throw new ConfigError([
        {
          field,
          message: `${field} is too weak; expected at least ${MIN_KEY_LENGTH} characters without spaces (e.g. \`openssl rand -hex 24\`)`,
        },
      ]);
    }
  }
  if (keys.read !== undefined && keys.read === keys.admin) {
    throw new ConfigError([
      { field: 'RETRAINING_READ_KEY', message: 'RETRAINING_READ_KEY must differ from RETRAINING_ADMIN_KEY' },
    ]);
  }
}

export function generateKey(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * Keys for a server: the environment's; else the ones stored in `dataDir` by an earlier start;
 * else (only when `generate`) new ones written there.
 */
export async function resolveApiKeys(options: {
  env: NodeJS.ProcessEnv;
  dataDir: string;
  generate: boolean;
}): Promise<ApiKeys | null> {
  const fromEnvironment = keysFromEnvironment(options.env);
  if (fromEnvironment) return fromEnvironment;
  const file = join(options.dataDir, KEYS_FILE);
  let text: string | null = null;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (text !== null) {
    let stored: { admin?: unknown; read?: unknown };
    try {
      stored = JSON.parse(text) as typeof stored;
    } catch {
      throw new ConfigError([
        { field: file, message: `${file} is not valid JSON; delete it to generate new keys` },
      ]);
    }
    if (typeof stored.admin !== 'string' || (stored.read !== undefined && typeof stored.read !== 'string')) {
      throw new ConfigError([
        {
          field: file,
          message: `${file} must hold {"admin": "...", "read": "..."}; delete it to generate new keys`,
        },
      ]);
    }
    const keys: ApiKeys = {
      admin: stored.admin,
      source: 'stored',
      file,
      ...(typeof stored.read === 'string' ? { read: stored.read } : {}),
    };
    checkKeys(keys);
    return keys;
  }
  if (!options.generate) return null;
  const keys: ApiKeys = { admin: generateKey(), read: generateKey(), source: 'generated', file };
  await mkdir(options.dataDir, { recursive: true });
  await writeFile(file, `${JSON.stringify({ admin: keys.admin, read: keys.read }, null, 2)}\n`, {
    mode: 0o600,
    flag: 'wx',
  });
  return keys;
}

// One-shot: a Hash object per request cost a tenth of a prediction's server time (predict_http profile).
const digest = (value: string): Buffer => hash('sha256', value, 'buffer');

/**
 * The role a bearer token grants: the token is hashed and compared with the keys' hashes in
 * constant time (equal lengths, every comparison made), so timing tells nothing about the keys.
 */
export function keyChecker(keys: ApiKeys): (token: string) => KeyRole | null {
  const admin = digest(keys.admin);
  const read = keys.read !== undefined ? digest(keys.read) : null;
  // A token that matched is remembered (there are at most two), so a bot's thousands of requests
  // a second skip the hash; any other token is hashed and compared in constant time every time.
  const known = new Map<string, KeyRole>();
  return (token) => {
    const remembered = known.get(token);
    if (remembered) return remembered;
    const given = digest(token);
    const isAdmin = timingSafeEqual(given, admin);
    const isRead = read !== null && timingSafeEqual(given, read);
    const role = isAdmin ? 'admin' : isRead ? 'read' : null;
    if (role) known.set(token, role);
    return role;
  };
}

/** Whether a host name or address is this machine only. */
export function isLoopback(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** The role of an `Authorization: Bearer KEY` header: undefined without one, null for no key. */
export function roleFromHeader(
  header: string | undefined,
  roleOf: (token: string) => KeyRole | null,
): KeyRole | null | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? roleOf(match[1]!) : null;
}

/** Why a request with this key may not use a route of this access, or undefined when it may. */
export function refusal(
  access: 'open' | 'read' | 'admin',
  role: KeyRole | null | undefined,
  hasKeys: boolean,
): HttpError | undefined {
  if (access === 'open') return undefined;
  if (!hasKeys) return new HttpError(503, 'no_keys', 'this server has no API keys configured');
  if (role === undefined)
    return new HttpError(401, 'unauthorized', 'send an API key as `Authorization: Bearer KEY`');
  if (role === null) return new HttpError(401, 'unauthorized', 'the API key is not valid');
  if (access === 'admin' && role !== 'admin')
    return new HttpError(403, 'forbidden', 'this action needs the admin key; the read key can only read');
  return undefined;
}

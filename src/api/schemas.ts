/**
 * JSON schemas of the request bodies and parameters (validated by Ajv, published in the OpenAPI
 * document). Bodies are closed (`additionalProperties: false`), so a misspelt field is an error
 * naming it rather than a silently ignored value.
 */
export const VERSION = {
  type: 'string',
  pattern: '^(0|[1-9]\\d{0,8})\\.(0|[1-9]\\d{0,8})\\.(0|[1-9]\\d{0,8})$',
  description: 'A model version, MAJOR.MINOR.PATCH',
  examples: ['1.4.0'],
} as const;

export const UUID = {
  type: 'string',
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
} as const;

const TEXT = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength }) as const;
const TIME = {
  anyOf: [
    { type: 'string', minLength: 1, maxLength: 40 },
    { type: 'number', minimum: 0, maximum: 8.64e15 },
  ],
  description: 'ISO 8601 (with an offset or Z) or epoch milliseconds',
} as const;

export const SYMBOL = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._\\-^=/]{0,31}$' } as const;

export const BAR = {
  type: 'object',
  additionalProperties: false,
  required: ['ts', 'open', 'high', 'low', 'close', 'volume'],
  properties: {
    symbol: SYMBOL,
    interval: { type: 'string', maxLength: 8 },
    ts: TIME,
    open: { type: 'number' },
    high: { type: 'number' },
    low: { type: 'number' },
    close: { type: 'number' },
    volume: { type: 'number' },
  },
} as const;

export const PREDICT_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['key'],
  description:
    'Either `observation` (the raw feature values the model was trained on) or `symbol` with recent `bars`, oldest first',
  properties: {
    key: { ...TEXT(200), description: 'Routes the request to an A/B arm; e.g. the bot or account id' },
    observation: { type: 'array', minItems: 1, maxItems: 1000, items: { type: 'number' } },
    symbol: SYMBOL,
    bars: { type: 'array', minItems: 2, maxItems: 5000, items: BAR },
    position: {
      type: 'number',
      default: 0,
      description: 'The position currently held (-1, 0, 1 by default)',
    },
  },
} as const;

export const PREDICTION = {
  type: 'object',
  properties: {
    action: { type: 'integer' },
    position: { type: 'number' },
    probabilities: { type: 'array', items: { type: 'number' } },
    version: { type: 'string' },
    arm: { type: ['string', 'null'], enum: ['A', 'B', null] },
  },
} as const;

export const BARS_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['bars'],
  properties: {
    symbol: { ...SYMBOL, description: 'The symbol of bars that do not name one' },
    interval: { type: 'string', maxLength: 8, description: 'e.g. 5m, 1h, 1d; inferred when absent' },
    bars: { type: 'array', minItems: 1, maxItems: 100_000, items: BAR },
  },
} as const;

const TRADE = {
  type: 'object',
  additionalProperties: false,
  required: ['key', 'symbol', 'side', 'quantity', 'entryTime', 'entryPrice'],
  properties: {
    key: { ...TEXT(200), description: 'Idempotency key: a trade sent twice is stored once' },
    symbol: SYMBOL,
    side: { type: 'string', enum: ['long', 'short', 'buy', 'sell'] },
    quantity: { type: 'number', exclusiveMinimum: 0 },
    entryTime: TIME,
    entryPrice: { type: 'number', exclusiveMinimum: 0 },
    exitTime: { anyOf: [TIME, { type: 'null' }] },
    exitPrice: { anyOf: [{ type: 'number', exclusiveMinimum: 0 }, { type: 'null' }] },
    fees: { type: 'number', minimum: 0 },
    pnl: { anyOf: [{ type: 'number' }, { type: 'null' }] },
    status: { type: 'string', enum: ['open', 'closed'] },
    modelVersion: { anyOf: [VERSION, { type: 'null' }] },
    account: { anyOf: [TEXT(200), { type: 'null' }] },
  },
} as const;

export const TRADES_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['trades'],
  properties: { trades: { type: 'array', minItems: 1, maxItems: 50_000, items: TRADE } },
} as const;

export const DEPLOY_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['version'],
  properties: {
    version: VERSION,
    reason: TEXT(1000),
    force: { type: 'boolean', description: 'Deploy inside the cooldown period; needs a reason' },
  },
} as const;

export const ROLLBACK_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['reason'],
  properties: {
    reason: TEXT(1000),
    version: { ...VERSION, description: 'Roll back to this version; default the last good one' },
  },
} as const;

export const AB_TEST_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['modelB'],
  properties: {
    modelA: { ...VERSION, description: 'Default: the production version' },
    modelB: VERSION,
    trafficSplit: {
      type: 'integer',
      minimum: 0,
      maximum: 100,
      default: 50,
      description: '% of traffic to B',
    },
    mode: { type: 'string', enum: ['ab', 'shadow'], default: 'ab' },
  },
} as const;

export const REASON_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['reason'],
  properties: { reason: TEXT(1000) },
} as const;

export const RESOLVE_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['resolution'],
  properties: { resolution: TEXT(2000) },
} as const;

export const EMPTY_BODY = {
  anyOf: [{ type: 'object', additionalProperties: false, properties: {} }, { type: 'null' }],
} as const;

export const LIMIT_QUERY = { type: 'integer', minimum: 1, maximum: 1000, default: 50 } as const;

export const ID_PARAMS = {
  type: 'object',
  required: ['id'],
  properties: { id: UUID },
} as const;

export const VERSION_PARAMS = {
  type: 'object',
  required: ['version'],
  properties: { version: VERSION },
} as const;

/** A JSON object answer, documented loosely (the rows are described in docs/api.md). */
export const OBJECT = { type: 'object', additionalProperties: true } as const;

export const ERROR = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' }, field: { type: 'string' } },
      required: ['code', 'message'],
    },
  },
} as const;

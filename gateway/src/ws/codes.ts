/**
 * Every WebSocket close code and in-message error code the gateway uses, in one table, so clients,
 * docs and tests read the same numbers. 1xxx are RFC 6455 codes; 4xxx are ours (private-use range).
 * `reconnect` tells a client whether reconnecting as-is can help.
 */
export interface CloseCodeEntry {
  readonly code: number;
  /** Sent as the close reason (at most 123 bytes). */
  readonly reason: string;
  readonly when: string;
  readonly reconnect: boolean;
}

export const CLOSE = {
  NORMAL: { code: 1000, reason: 'normal closure', when: 'the client or the server ended the session on purpose', reconnect: false },
  GOING_AWAY: {
    code: 1001,
    reason: 'server shutting down',
    when: 'the gateway instance is stopping; another instance can take the client',
    reconnect: true,
  },
  AUTH_FAILED: { code: 1008, reason: 'authentication failed', when: 'the token (JWT or API key) was rejected', reconnect: false },
  AUTH_TIMEOUT: {
    code: 1008,
    reason: 'authentication timeout',
    when: 'auth is required and no `auth` message arrived within WS_AUTH_TIMEOUT_MS',
    reconnect: false,
  },
  ORIGIN_NOT_ALLOWED: {
    code: 1008,
    reason: 'origin not allowed',
    when: "a browser page's Origin is neither the gateway's own nor allowed by WS_ALLOWED_ORIGINS (unset: loopback pages in development only)",
    reconnect: false,
  },
  TOKEN_EXPIRED: {
    code: 1008,
    reason: 'token expired',
    when: 'the token (JWT `exp`, API key `expires_at`) expired while the connection was open',
    reconnect: true,
  },
  KEY_REVOKED: {
    code: 1008,
    reason: 'API key revoked',
    when: 'the API key behind the connection was revoked: at once on the instance that revoked it, within WS_API_KEY_RECHECK_SECONDS on the others',
    reconnect: false,
  },
  CHANNEL_FORBIDDEN: {
    code: 1008,
    reason: 'channel not allowed',
    when: "the token's claims do not allow the channel the door serves (also after an auth message with a narrower token)",
    reconnect: false,
  },
  BINARY_NOT_ACCEPTED: {
    code: 1003,
    reason: 'binary messages not accepted',
    when: 'the client sent a binary frame: clients send JSON text on every door (on `marketpulse.v1.proto` only the server sends binary data messages); an INVALID_MESSAGE error comes first',
    reconnect: false,
  },
  MESSAGE_TOO_BIG: {
    code: 1009,
    reason: 'message too big',
    when: 'a client message exceeded WS_MAX_MESSAGE_BYTES (counted after permessage-deflate inflates it, over all its fragments)',
    reconnect: true,
  },
  PROTOCOL_ERROR: {
    code: 1002,
    reason: 'protocol error: invalid WebSocket frame (RFC 6455)',
    when: 'the client broke the framing rules: an unmasked frame, a reserved opcode or RSV bit, a control frame over 125 bytes or fragmented, a continuation without a start, an invalid close code',
    reconnect: false,
  },
  INVALID_PAYLOAD: {
    code: 1007,
    reason: 'invalid payload: text is not valid UTF-8',
    when: 'a text message (or a close reason) was not valid UTF-8; send JSON as UTF-8 text',
    reconnect: false,
  },
  INTERNAL_ERROR: {
    code: 1011,
    reason: 'internal error',
    when: 'the gateway failed unexpectedly outside any client message (a client message that fails gets an INTERNAL error instead)',
    reconnect: true,
  },
  AT_CAPACITY: {
    code: 1013,
    reason: 'server at capacity',
    when: 'WS_MAX_CONNECTIONS connections are already open on this instance, or WS_MAX_CONNECTIONS_PER_ADDRESS from the client address',
    reconnect: true,
  },
  NOT_READY: {
    code: 1013,
    reason: 'server starting',
    when: 'the instance is still reading its history back from Kafka and positioning its consumer (its /readyz answers 503); reconnect shortly, with the position (or ?since=) to resume',
    reconnect: true,
  },
  HEARTBEAT_TIMEOUT: {
    code: 4001,
    reason: 'heartbeat timeout',
    when: 'nothing (no pong message, pong frame or other message) arrived within WS_PONG_TIMEOUT_MS of a ping',
    reconnect: true,
  },
  SLOW_CLIENT: {
    code: 4002,
    reason: 'slow client',
    when: 'more than WS_SEND_QUEUE_BYTES waited to be sent to the client; resume with the position (or the last id) seen',
    reconnect: true,
  },
  RATE_LIMITED: {
    code: 4003,
    reason: 'rate limit exceeded',
    when: 'the client kept sending after a RATE_LIMITED error (WS_RATE_LIMIT messages per minute)',
    reconnect: true,
  },
  // A browser sees a refused handshake only as 1006 with no reason, so these open and then close.
  UNKNOWN_ENDPOINT: {
    code: 4004,
    reason: 'unknown endpoint',
    when: 'no door serves the path (see the doors in gateway/README.md); the connection is accepted, gets an UNKNOWN_ENDPOINT error and is closed',
    reconnect: false,
  },
  UNKNOWN_SYMBOL: {
    code: 4005,
    reason: 'unknown symbol',
    when: 'a symbol door was opened for a symbol that is invalid (INVALID_SYMBOL) or that market-data does not carry (UNKNOWN_SYMBOL); an `error` message naming it comes first',
    reconnect: false,
  },
} as const satisfies Record<string, CloseCodeEntry>;

export type CloseName = keyof typeof CLOSE;

/**
 * The closes ws starts on its own when a client breaks the protocol (its Receiver's errors carry no
 * reason): the gateway's socket sends the table's reason with them, so the client reads why.
 */
export const PROTOCOL_CLOSES: ReadonlyMap<number, CloseCodeEntry> = new Map(
  [CLOSE.PROTOCOL_ERROR, CLOSE.INVALID_PAYLOAD, CLOSE.MESSAGE_TOO_BIG].map((e) => [e.code, e]),
);

/** Error codes carried in `error` messages; the connection stays open unless the entry says so. */
export interface ErrorCodeEntry {
  readonly message: string;
  readonly when: string;
}

export const ERROR = {
  INVALID_JSON: { message: 'message is not valid JSON', when: 'a text frame could not be parsed as a JSON object' },
  INVALID_MESSAGE: {
    message: 'invalid message',
    when: 'a message lacks a field its type requires, has one of the wrong type, or nests objects and arrays deeper than 16 levels',
  },
  INVALID_FILTERS: {
    message: 'invalid filters',
    when: 'subscribe filters are not an object of at most 32 dot paths (1–256 characters) each mapped to a string, number, boolean or null, or an array of at most 100 of them (strings up to 256 characters)',
  },
  INVALID_ARGUMENT: {
    message: 'invalid argument',
    when: 'a service refused a value of the message (the same reason as REST and gRPC); the message says which',
  },
  NOT_FOUND: { message: 'not found', when: 'a service found nothing for the message (the same reason as REST and gRPC)' },
  INTERNAL: {
    message: 'internal error',
    when: 'the gateway failed unexpectedly handling the message; the message carries the error id of the log line, and the connection stays open',
  },
  UNKNOWN_MESSAGE_TYPE: { message: 'Unknown message type', when: 'the door does not accept a message of that type' },
  AUTH_REQUIRED: { message: 'Authentication required', when: 'a message other than auth/pong arrived before authentication' },
  AUTH_FAILED: { message: 'Invalid credentials', when: 'an auth message carried a token the gateway rejects' },
  CHANNEL_FORBIDDEN: { message: 'channel not allowed', when: "the token's claims do not allow the requested channel" },
  INVALID_SYMBOL: { message: 'invalid symbol', when: 'a symbol is empty, too long or has characters outside A-Z 0-9 . _ - /' },
  UNKNOWN_SYMBOL: {
    message: 'unknown symbol',
    when: 'market-data carries no such symbol (the message lists the ones it does); the connection then closes with 4005',
  },
  UNKNOWN_ENDPOINT: {
    message: 'unknown endpoint',
    when: 'no door serves the path; the message lists the doors and the connection closes with 4004',
  },
  CANNOT_RECOVER: {
    message: 'missed messages cannot be recovered',
    when: "what followed a `position` (or a `since` id) is past Kafka's retention, the position is from another Kafka cluster or topic set or does not cover the subscription's partitions, or a `since` id without a position is in neither the history nor the resume index; the error carries the `position` the client continues from with live messages",
  },
  INVALID_POSITION: {
    message: 'invalid position',
    when: "a `position` is not a position token of this gateway (malformed, altered or not a string), or is ahead of this instance's stream for longer than it waits; the client continues with live messages",
  },
  RATE_LIMITED: {
    message: 'Rate limit exceeded',
    when: 'more than WS_RATE_LIMIT messages per minute; the next one closes the connection (4003)',
  },
  SUBSCRIPTION_NOT_FOUND: { message: 'subscription not found', when: 'unsubscribe named a subscription id this connection does not hold' },
  UNKNOWN_SUBSCRIPTION_TYPE: {
    message: 'unknown subscription type',
    when: 'subscribe named a type other than events, metrics, alerts, predictions, aggregations, system_status',
  },
  TOO_MANY_SUBSCRIPTIONS: {
    message: 'too many subscriptions',
    when: 'a connection already holds WS_MAX_SUBSCRIPTIONS_PER_CONNECTION subscriptions (16 by default)',
  },
  PREDICTION_UNAVAILABLE: { message: 'prediction unavailable', when: 'request_prediction could not be answered by the prediction service' },
} as const satisfies Record<string, ErrorCodeEntry>;

export type ErrorName = keyof typeof ERROR;

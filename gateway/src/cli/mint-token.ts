import { parseArgs } from 'node:util';
import { ALL_SCOPES, devSecretPath, isScope, mintToken, readDevSecret } from '../auth';

const USAGE = `Mints a development JWT (HS256) for the gateway's API and WebSocket doors.

usage: node gateway/dist/cli/mint-token.js [--sub dev] [--scopes 'read,webhooks:write'] [--channels 'market-data:*,alerts'] [--ttl 3600]

  --sub       subject (user id)                        default: dev
  --scopes    comma-separated scopes                   default: the gateway's API_DEFAULT_SCOPES
              (${ALL_SCOPES.join(', ')})
  --channels  comma-separated channel patterns         default: every channel
  --ttl       lifetime in seconds (tokens carry exp)   default: 3600
  --secret    HS256 secret                             default: $JWT_SECRET, else the secret the running
              suite's development profile wrote to $PGLITE_DIR/dev-jwt-secret (.data/dev-jwt-secret)

Use it as Authorization: Bearer <token>, or ws://127.0.0.1:8000/ws/market-data/AAPL?token=<token>.`;

function fail(message: string): never {
  process.stderr.write(`mint-token: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sub: { type: 'string', default: 'dev' },
      scopes: { type: 'string' },
      channels: { type: 'string' },
      ttl: { type: 'string', default: '3600' },
      secret: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const file = devSecretPath();
  const secret = values.secret || process.env.JWT_SECRET || readDevSecret(file);
  if (!secret || secret.length < 16) {
    fail(
      `no secret: set JWT_SECRET (at least 16 characters, the gateway's), pass --secret, or start the suite (bash scripts/start.sh) so its development profile writes ${file}`,
    );
  }
  const ttl = Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl <= 0) fail(`--ttl must be a positive number of seconds, got '${values.ttl}'`);
  const list = (s: string | undefined) =>
    s
      ?.split(',')
      .map((c) => c.trim())
      .filter(Boolean);
  const scopes = list(values.scopes);
  const unknown = scopes?.filter((s) => !isScope(s)) ?? [];
  if (unknown.length > 0) fail(`unknown scope ${unknown.join(', ')}; the scopes are ${ALL_SCOPES.join(', ')}`);
  process.stdout.write(`${await mintToken({ secret, subject: values.sub, channels: list(values.channels), scopes, ttlSeconds: ttl })}\n`);
}

void main();

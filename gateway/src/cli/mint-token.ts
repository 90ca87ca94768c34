import { parseArgs } from 'node:util';
import { mintToken } from '../auth';

const USAGE = `Mints a development JWT (HS256) for the gateway's WebSocket doors.

usage: JWT_SECRET=... node gateway/dist/cli/mint-token.js [--sub dev] [--channels 'market-data:*,alerts'] [--ttl 3600]

  --sub       subject (user id)                        default: dev
  --channels  comma-separated channel patterns         default: every channel
  --ttl       lifetime in seconds                      default: 3600
  --secret    HS256 secret (default: $JWT_SECRET, the gateway's)

Use it as ws://127.0.0.1:8000/ws/market-data/AAPL?token=<printed token>.`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sub: { type: 'string', default: 'dev' },
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
  const secret = values.secret ?? process.env.JWT_SECRET;
  if (!secret || secret.length < 16) {
    process.stderr.write('mint-token: set JWT_SECRET (at least 16 characters, the same as the gateway\'s) or pass --secret\n');
    process.exit(2);
  }
  const ttl = Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl <= 0) {
    process.stderr.write(`mint-token: --ttl must be a positive number of seconds, got '${values.ttl}'\n`);
    process.exit(2);
  }
  const channels = values.channels?.split(',').map((c) => c.trim()).filter(Boolean);
  process.stdout.write(`${await mintToken({ secret, subject: values.sub, channels, ttlSeconds: ttl })}\n`);
}

void main();

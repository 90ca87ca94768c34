import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { alerting } from '@marketpulse/proto';
import { REPO_ROOT } from '@marketpulse/tests';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertingHandle } from '@marketpulse/alerting';
import { newAlertingSlice, startAlertingOn, type AlertingSlice } from './alerting.kit';

// Issue 13: a Python grpcio client reads the reason and the field violations of an invalid request
// from google.rpc.Status (grpcio-status, googleapis-common-protos), as any gRPC client library
// does. Python and the packages come from the project's own install script, as on a fresh machine.

let python: string;
let slice: AlertingSlice;
let service: AlertingHandle;

beforeAll(async () => {
  // Prints the venv's interpreter; installs the pinned requirements first when they changed.
  python = execFileSync('bash', [path.join(REPO_ROOT, 'scripts/python_env.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 600_000,
  }).trim();
  slice = await newAlertingSlice('grpc-status-python');
  service = await startAlertingOn(slice);
}, 600_000);

afterAll(async () => {
  await service?.close();
  await slice?.bus.close();
  await slice?.db.drop();
});

describe('google.rpc.Status from Python', () => {
  it('grpcio-status reads ErrorInfo and BadRequest of an invalid CreateRule', async () => {
    const request = alerting.CreateRuleRequest.encode({
      rule: alerting.Rule.fromPartial({
        user_id: 'py-user',
        name: 'n'.repeat(201),
        symbol: 'AAPL',
        cooldown_seconds: -5,
        condition: { kind: { $case: 'price_above', price_above: { price: 1 } } },
      }),
    }).finish();
    // Asynchronously: the service answers from this process's event loop.
    const { stdout: out } = await promisify(execFile)(
      python,
      [
        path.join(REPO_ROOT, 'tests/python/read_grpc_status.py'),
        `127.0.0.1:${service.grpcPort}`,
        '/marketpulse.alerting.v1.AlertingService/CreateRule',
        Buffer.from(request).toString('hex'),
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    const answer = JSON.parse(out) as { grpc_code: string; status: any };
    expect(answer.grpc_code).toBe('INVALID_ARGUMENT');
    expect(answer.status).toMatchObject({
      code: 3,
      error_info: { reason: 'INVALID_ARGUMENT', domain: 'marketpulse.alerting' },
      field_violations: [
        { field: 'rule.name', description: 'must be at most 200 characters (got 201)' },
        { field: 'rule.cooldown_seconds', description: 'must be an integer from 0 to 2147483647 (got -5)' },
      ],
    });
    expect(answer.status.message).toContain("invalid field 'rule.name'");
  }, 60_000);
});

import fs from 'node:fs';
import path from 'node:path';
import { commonError, declaredErrorDomains } from '@marketpulse/runtime';
import { REPO_ROOT } from '@marketpulse/tests';
import { describe, expect, it } from 'vitest';
import { alertingErrors } from '@marketpulse/alerting';
import { marketDataErrors } from '@marketpulse/market-data';
import { predictionErrors } from '@marketpulse/prediction';
import { providerMonitorErrors } from '@marketpulse/provider-monitor';
import { webhookDeliveryErrors } from '@marketpulse/webhook-delivery';

// ERRORS.md documents every reason of every domain: a reason added to a table without a line in
// the page fails here.

describe('ERRORS.md', () => {
  it('names every domain and every reason of the services reason tables', () => {
    const page = fs.readFileSync(path.join(REPO_ROOT, 'ERRORS.md'), 'utf8');
    const domains = [commonError, marketDataErrors, predictionErrors, alertingErrors, webhookDeliveryErrors, providerMonitorErrors];
    expect(new Set(domains.map((d) => d.domain))).toEqual(new Set([...declaredErrorDomains().keys()]));
    const missing: string[] = [];
    for (const d of domains) {
      const section = page.split(/^### /m).find((s) => s.startsWith(`\`${d.domain}\``));
      if (!section) {
        missing.push(`section ### \`${d.domain}\``);
        continue;
      }
      for (const reason of Object.keys(d.reasons)) if (!section.includes(`\`${reason}\``)) missing.push(`${d.domain} ${reason}`);
    }
    expect(missing).toEqual([]);
  });
});

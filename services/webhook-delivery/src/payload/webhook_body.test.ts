import { events } from '@marketpulse/proto';
import { describe, expect, it } from 'vitest';
import { webhookBody } from './webhook_body';

describe('webhookBody', () => {
  it('puts the payload under data with the proto field names', () => {
    const event = events.Event.fromPartial({
      id: 'evt_1',
      type: 'prediction_complete',
      source: 'prediction',
      subject: 'AAPL',
      time: '2025-01-02T03:04:05.000Z',
      payload: { $case: 'prediction_complete', prediction_complete: { symbol: 'AAPL', predicted_price: 150.25, confidence: 0.85 } },
    });
    const body = webhookBody(event);
    expect(body).toMatchObject({ id: 'evt_1', type: 'prediction_complete', timestamp: '2025-01-02T03:04:05.000Z', subject: 'AAPL' });
    expect(body.data).toMatchObject({ symbol: 'AAPL', predicted_price: 150.25, confidence: 0.85 });
  });
});

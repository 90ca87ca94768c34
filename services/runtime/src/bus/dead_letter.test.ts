import { describe, expect, it } from 'vitest';
import { DEAD_LETTER_HEADER, deadLetterRecord, deadLetterTopic, parseDeadLetter, type DeadLetter } from './dead_letter';

const letter: DeadLetter = {
  source: {
    topic: 'marketpulse.system_error',
    partition: 2,
    offset: '41',
    key: Buffer.from('svc\u0000'),
    value: Buffer.from([1, 2, 3]),
    headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', 'x-bin': Buffer.from([0xff, 0x00]) },
  },
  group: 'marketpulse.alerting',
  failure: { reason: 'ALERT_NOT_STORABLE', message: 'line one\nline\u0000two' },
  attempts: 1,
  at: '2026-12-05T18:00:00.000Z',
};

describe('dead letters', () => {
  it('go to one topic per prefix', () => {
    expect(deadLetterTopic('marketpulse.')).toBe('marketpulse.dead_letter');
  });

  it('keep the key, value and headers byte for byte and read back to what was written', () => {
    const record = deadLetterRecord(letter);
    expect(record.key).toEqual(letter.source.key);
    expect(record.value).toEqual(letter.source.value);
    expect(record.headers['x-bin']).toEqual(Buffer.from([0xff, 0x00]));
    expect(record.headers[DEAD_LETTER_HEADER.sourceOffset]).toBe('41');
    const back = parseDeadLetter(record)!;
    expect(back.source).toEqual(letter.source);
    expect(back).toMatchObject({ group: letter.group, attempts: 1, at: letter.at, failure: { reason: 'ALERT_NOT_STORABLE' } });
  });

  it('escape control characters in the failure message, so a dead letter cannot poison its readers', () => {
    const message = String(deadLetterRecord(letter).headers[DEAD_LETTER_HEADER.message]);
    expect(message).toBe('line one\\u000aline\\u0000two');
  });

  it('re-publish without the headers of an earlier dead-lettering', () => {
    const twice = deadLetterRecord({ ...letter, source: { ...letter.source, headers: deadLetterRecord(letter).headers } });
    expect(parseDeadLetter(twice)!.source.headers).toEqual(letter.source.headers);
  });

  it('are not read from records that lack their headers', () => {
    expect(parseDeadLetter({ key: null, value: null, headers: {} })).toBeUndefined();
  });
});

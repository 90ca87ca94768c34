import { describe, expect, it } from 'vitest';
import { AddressGuard, type Resolver } from './address_guard';

const resolver = (table: Record<string, string[]>): Resolver => async (host) => {
  const found = table[host];
  if (!found) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

const dns = resolver({
  'hooks.example.com': ['93.184.216.34'],
  'internal.example.com': ['10.1.2.3'],
  'rebind.example.com': ['93.184.216.34', '127.0.0.1'],
  'metadata.example.com': ['169.254.169.254'],
});

describe('AddressGuard', () => {
  const strict = new AddressGuard({ allowLoopback: false, allowPrivate: false }, dns);

  it('accepts public http(s) URLs and pins the resolved address', async () => {
    const t = await strict.vet('https://hooks.example.com/in');
    expect(t.address).toBe('93.184.216.34');
  });

  it('refuses other schemes and URLs with credentials', async () => {
    await expect(strict.vet('ftp://hooks.example.com/')).rejects.toMatchObject({ code: 'INVALID_URL' });
    await expect(strict.vet('https://u:p@hooks.example.com/')).rejects.toMatchObject({ code: 'INVALID_URL' });
  });

  it('refuses private, loopback, link-local and mapped addresses after resolution', async () => {
    await expect(strict.vet('http://internal.example.com/')).rejects.toMatchObject({ code: 'URL_FORBIDDEN', message: expect.stringContaining('private address internal.example.com (10.1.2.3)') });
    await expect(strict.vet('http://127.0.0.1:8080/')).rejects.toMatchObject({ code: 'URL_FORBIDDEN', message: expect.stringContaining('WEBHOOK_ALLOW_LOOPBACK') });
    await expect(strict.vet('http://metadata.example.com/')).rejects.toMatchObject({ code: 'URL_FORBIDDEN' });
    await expect(strict.vet('http://[::ffff:127.0.0.1]/')).rejects.toMatchObject({ code: 'URL_FORBIDDEN' });
    await expect(strict.vet('http://0.0.0.0/')).rejects.toMatchObject({ code: 'URL_FORBIDDEN' });
    await expect(strict.vet('http://rebind.example.com/')).rejects.toMatchObject({ code: 'URL_FORBIDDEN' });
  });

  it('lets configuration allow loopback without allowing private networks', async () => {
    const guard = new AddressGuard({ allowLoopback: true, allowPrivate: false }, dns);
    await expect(guard.vet('http://127.0.0.1:9/')).resolves.toMatchObject({ address: '127.0.0.1' });
    await expect(guard.vet('http://internal.example.com/')).rejects.toMatchObject({ code: 'URL_FORBIDDEN' });
  });

  it('reports a host that does not resolve', async () => {
    await expect(strict.vet('https://nowhere.example.com/')).rejects.toMatchObject({ code: 'INVALID_URL', message: expect.stringContaining('ENOTFOUND') });
  });
});

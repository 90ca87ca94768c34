import { describe, expect, it } from 'vitest';
import { AddressGuard, type Resolver } from './address_guard';

const resolver =
  (table: Record<string, string[]>): Resolver =>
  async (host) => {
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
    await expect(strict.vet('ftp://hooks.example.com/')).rejects.toMatchObject({ reason: 'INVALID_URL' });
    await expect(strict.vet('https://u:p@hooks.example.com/')).rejects.toMatchObject({ reason: 'INVALID_URL' });
  });

  it('refuses private, loopback, link-local and mapped addresses after resolution', async () => {
    await expect(strict.vet('http://internal.example.com/')).rejects.toMatchObject({
      reason: 'URL_FORBIDDEN',
      message: expect.stringContaining('private address internal.example.com (10.1.2.3)'),
    });
    await expect(strict.vet('http://127.0.0.1:8080/')).rejects.toMatchObject({
      reason: 'URL_FORBIDDEN',
      message: expect.stringContaining('WEBHOOK_ALLOW_LOOPBACK'),
    });
    await expect(strict.vet('http://metadata.example.com/')).rejects.toMatchObject({ reason: 'URL_FORBIDDEN' });
    await expect(strict.vet('http://[::ffff:127.0.0.1]/')).rejects.toMatchObject({ reason: 'URL_FORBIDDEN' });
    await expect(strict.vet('http://0.0.0.0/')).rejects.toMatchObject({ reason: 'URL_FORBIDDEN' });
    await expect(strict.vet('http://rebind.example.com/')).rejects.toMatchObject({ reason: 'URL_FORBIDDEN' });
  });

  it('judges IPv4 embedded in IPv6 as that IPv4: compatible, mapped with any prefix, 6to4, NAT64, Teredo', async () => {
    for (const url of ['http://[::127.0.0.1]/', 'http://[::ffff:0:127.0.0.1]/', 'http://[2002:7f00:1::1]/', 'http://[::ffff:7f00:1]/']) {
      await expect(strict.vet(url), url).rejects.toMatchObject({ reason: 'URL_FORBIDDEN', message: expect.stringContaining('loopback') });
    }
    // 10.0.0.1 through NAT64 (/96 and the local-use /48), and Teredo's client 192.168.1.1 (stored inverted).
    for (const url of [
      'http://[64:ff9b::10.0.0.1]/',
      'http://[64:ff9b:1::a00:1]/',
      'http://[2001:0:5db8:d7a1:0:0:3f57:fefe]/',
      'http://[2002:a9fe:a9fe::]/',
    ]) {
      await expect(strict.vet(url), url).rejects.toMatchObject({ reason: 'URL_FORBIDDEN' });
    }
    const loopbackAllowed = new AddressGuard({ allowLoopback: true, allowPrivate: false }, dns);
    await expect(loopbackAllowed.vet('http://[::1]/')).resolves.toMatchObject({ address: '::1' });
    await expect(loopbackAllowed.vet('http://[::127.0.0.1]/')).resolves.toMatchObject({ family: 6 });
    await expect(strict.vet('http://[2002:5db8:d822::1]/')).resolves.toMatchObject({ family: 6 });
  });

  it('lets configuration allow loopback without allowing private networks', async () => {
    const guard = new AddressGuard({ allowLoopback: true, allowPrivate: false }, dns);
    await expect(guard.vet('http://127.0.0.1:9/')).resolves.toMatchObject({ address: '127.0.0.1' });
    await expect(guard.vet('http://internal.example.com/')).rejects.toMatchObject({ reason: 'URL_FORBIDDEN' });
  });

  it('reports a host that does not resolve', async () => {
    await expect(strict.vet('https://nowhere.example.com/')).rejects.toMatchObject({
      reason: 'INVALID_URL',
      message: expect.stringContaining('ENOTFOUND'),
    });
  });
});

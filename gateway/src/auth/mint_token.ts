import { SignJWT } from 'jose';

export interface MintTokenOptions {
  secret: string;
  subject: string;
  /** Channel patterns the token may read (see Principal.channels); omitted means every channel. */
  channels?: readonly string[];
  /** Scopes; omitted means the gateway's API_DEFAULT_SCOPES. */
  scopes?: readonly string[];
  ttlSeconds: number;
}

/** An HS256 JWT the gateway accepts with the same JWT_SECRET. */
export function mintToken(options: MintTokenOptions): Promise<string> {
  const jwt = new SignJWT({
    ...(options.channels ? { channels: [...options.channels] } : {}),
    ...(options.scopes ? { scopes: [...options.scopes] } : {}),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.subject)
    .setIssuedAt()
    .setExpirationTime(`${options.ttlSeconds}s`);
  return jwt.sign(new TextEncoder().encode(options.secret));
}

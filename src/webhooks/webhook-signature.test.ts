import { Webhook } from 'standardwebhooks';
import { SecretSealer, newSigningSecret } from './webhook-secret';
import { signatureHeaders } from './webhook-signature';

describe('webhook signing', () => {
  it('signs as Standard Webhooks specifies: the reference verifier accepts each secret of a rotation, and nothing else', () => {
    const [current, previous] = [newSigningSecret(), newSigningSecret()];
    expect(current).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const body = JSON.stringify({ hello: 'world' });
    const headers = signatureHeaders('evt-1', new Date(), body, [current, previous]);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(current).verify(body, headers as never)).toEqual({ hello: 'world' });
    expect(new Webhook(previous).verify(body, headers as never)).toEqual({ hello: 'world' });
    expect(() => new Webhook(newSigningSecret()).verify(body, headers as never)).toThrow();
    expect(() => new Webhook(current).verify(`${body} `, headers as never)).toThrow();
  });

  it('seals secrets with WEBHOOK_SECRET_KEY (AES-256-GCM) and refuses a tampered or keyless unseal', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const sealer = new SecretSealer(key);
    const secret = newSigningSecret();
    const sealed = sealer.seal(secret);
    expect(sealed).not.toContain(secret.slice(6));
    expect(sealer.unseal(sealed)).toBe(secret);
    expect(() => new SecretSealer(undefined).unseal(sealed)).toThrow(/WEBHOOK_SECRET_KEY/);
    expect(() => new SecretSealer(Buffer.alloc(32, 8).toString('base64')).unseal(sealed)).toThrow();
    const plain = new SecretSealer(undefined).seal(secret);
    expect(plain).toBe(`plain:${secret}`);
    expect(sealer.unseal(plain)).toBe(secret);
  });
});

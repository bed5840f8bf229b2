import type { GraphQLRequestContextWillSendResponse } from '@apollo/server';
import { availabilityPlugin } from './availability-plugin';

const unavailable = { message: 'The database is unavailable; retry later', extensions: { code: 'SERVICE_UNAVAILABLE', reason: 'DATABASE_UNAVAILABLE' } };

async function statusFor(data: Record<string, unknown> | null | undefined, errors: { message: string; extensions: Record<string, unknown> }[]): Promise<number | undefined> {
  const listener = await availabilityPlugin().requestDidStart!({} as never);
  const response = { http: { status: undefined as number | undefined, headers: new Map() }, body: { kind: 'single', singleResult: { data, errors } } };
  await listener!.willSendResponse!({ response } as unknown as GraphQLRequestContextWillSendResponse<any>);
  return response.http.status;
}

describe('availabilityPlugin: 503 only when the whole operation failed for unavailability', () => {
  it('every root field failed with SERVICE_UNAVAILABLE: 503', async () => {
    expect(await statusFor({ viewer: null, organisation: null }, [unavailable, unavailable])).toBe(503);
    expect(await statusFor(null, [unavailable])).toBe(503);
  });
  it('a partial result keeps its status (200), the code stays on the failed field', async () => {
    expect(await statusFor({ viewer: { id: '1' }, organisation: null }, [unavailable])).toBeUndefined();
  });
  it('another error among them: not a 503', async () => {
    expect(await statusFor({ viewer: null }, [unavailable, { message: 'Not found', extensions: { code: 'NOT_FOUND' } }])).toBeUndefined();
  });
  it('no error: untouched', async () => {
    expect(await statusFor({ viewer: null }, [])).toBeUndefined();
  });
});

import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { guardedLookup, parseEndpointUrl, type UrlPolicy } from './webhook-url-policy';

/** What one POST came to. */
export interface PostResult {
  /** null when no response arrived (refused, timed out, unreachable). */
  status: number | null;
  durationMs: number;
  /** Why it failed; null for a 2xx answer. */
  error: string | null;
}

/** Enough of a receiver's answer to see it arrived; the body is read and thrown away. */
const MAX_RESPONSE_BYTES = 64 * 1024;

// Connections are reused per host (keep-alive), each one opened to an address the lookup checked.
const agents = { http: new http.Agent({ keepAlive: true, maxSockets: 64 }), https: new https.Agent({ keepAlive: true, maxSockets: 64 }) };

/**
 * POSTs a webhook: the URL is checked again (a literal address) and its host resolved through the
 * guarded lookup (a name), redirects are not followed (a 3xx is a failure), and the whole exchange is
 * bounded by `timeoutMs`. Never throws: the outcome says what happened.
 */
export function postWebhook(
  rawUrl: string,
  body: string,
  headers: Record<string, string>,
  options: { timeoutMs: number; policy: UrlPolicy; signal?: AbortSignal },
): Promise<PostResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let url: URL;
  try {
    url = parseEndpointUrl(rawUrl, options.policy);
  } catch (error) {
    return Promise.resolve({ status: null, durationMs: 0, error: (error as Error).message });
  }
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<PostResult>((resolve) => {
    let settled = false;
    const finish = (result: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const request = client.request(url, {
      method: 'POST',
      agent: url.protocol === 'https:' ? agents.https : agents.http,
      lookup: guardedLookup(options.policy) as never,
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
    });
    const timer = setTimeout(() => request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)), options.timeoutMs);
    const onAbort = () => request.destroy(new Error('aborted: the worker is stopping'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    request.on('error', (error) => finish({ status: null, durationMs: elapsed(), error: error.message.slice(0, 500) }));
    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      let received = 0;
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > MAX_RESPONSE_BYTES) response.destroy();
      });
      const done = () => finish({ status, durationMs: elapsed(), error: status >= 200 && status < 300 ? null : `answered HTTP ${status}` });
      response.on('end', done);
      response.on('close', done);
      response.on('error', done);
    });
    request.end(body);
  });
}

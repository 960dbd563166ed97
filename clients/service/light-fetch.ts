/**
 * The subset of `fetch` the CLI needs (method, headers, body, abort signal; status and text back),
 * over node:http. Node's global fetch boots undici on first use, which costs more than the rest of
 * a warm `myc` read on a loaded machine; node:http is already in the process.
 */
import http from 'node:http';
import https from 'node:https';

export interface LightResponse {
  ok: boolean;
  status: number;
  text(): Promise<string>;
}

export function lightFetch(
  input: string | URL,
  init: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal } = {},
): Promise<LightResponse> {
  const url = typeof input === 'string' ? new URL(input) : input;
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.request(url, { method: init.method ?? 'GET', headers: init.headers, signal: init.signal }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const status = response.statusCode ?? 0;
        const body = Buffer.concat(chunks).toString('utf8');
        resolve({ ok: status >= 200 && status < 300, status, text: async () => body });
      });
    });
    request.on('error', reject);
    request.end(init.body);
  });
}

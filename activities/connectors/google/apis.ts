/**
 * The googleapis clients one source reads through, configured as the delivery adapters are: the root URL from
 * configuration (MYCELIUM_GOOGLE_BASE_URL: a proxy or a test server), no retries inside the SDK (Temporal owns
 * retries), and a bearer token per impersonated subject on every request.
 */
import { admin_directory_v1 } from 'googleapis/build/src/apis/admin/index.js';
import { calendar_v3 } from 'googleapis/build/src/apis/calendar/index.js';
import { drive_v3 } from 'googleapis/build/src/apis/drive/index.js';
import { gmail_v1 } from 'googleapis/build/src/apis/gmail/index.js';
import { googleApiOptions } from '../../delivery/google';
import type { GoogleTokenProvider } from './config';
import { googleSourceFailure, googleStatus } from './errors';

export interface GoogleApis {
  calendar: calendar_v3.Calendar;
  gmail: gmail_v1.Gmail;
  drive: drive_v3.Drive;
  directory: admin_directory_v1.Admin;
  /** request options that authorize as `subject` */
  as(subject: string): Promise<{ headers: { Authorization: string } }>;
}

export function googleApis(accessToken: GoogleTokenProvider, baseUrl?: string): GoogleApis {
  const options = googleApiOptions({ accessToken, ...(baseUrl ? { baseUrl } : {}) });
  return {
    calendar: new calendar_v3.Calendar(options),
    gmail: new gmail_v1.Gmail(options),
    drive: new drive_v3.Drive(options),
    directory: new admin_directory_v1.Admin(options),
    as: async (subject) => ({ headers: { Authorization: `Bearer ${await accessToken(subject)}` } }),
  };
}

/**
 * Runs one provider request (with its token fetch) and converts its failure; `expected` statuses are handed back
 * to the caller as `{ status }` instead (410 Gone of a sync token, 404 of an old history id or a deleted object).
 */
export async function request<T>(what: string, run: () => Promise<T>, expected: readonly number[] = []): Promise<{ ok: T } | { status: number }> {
  try {
    return { ok: await run() };
  } catch (error) {
    const status = googleStatus(error);
    if (status !== undefined && expected.includes(status)) return { status };
    throw googleSourceFailure(error, what);
  }
}

/** request(), for calls with no expected failure. */
export async function must<T>(what: string, run: () => Promise<T>): Promise<T> {
  const answer = await request(what, run);
  if ('ok' in answer) return answer.ok;
  throw googleSourceFailure(new Error(`unexpected status ${answer.status}`), what);
}

/** Runs `fn` over `items` with at most `limit` in flight, results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

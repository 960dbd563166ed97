/**
 * Reading a unit safely: the path stays inside the root, the size is checked before the
 * file is read, binary content is refused, text must be UTF-8.
 */
import { lstat, open } from 'node:fs/promises';
import path from 'node:path';
import { QuarantineError } from './types';

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${trimNumber(n / 1024)} KB`;
  return `${trimNumber(n / (1024 * 1024))} MB`;
}

function trimNumber(x: number): string {
  const s = x.toFixed(1);
  return s.endsWith('.0') ? s.slice(0, -2) : s;
}

/** Absolute path of `relPath` under `root`; refuses absolute paths and paths escaping the root. */
export function resolveInside(root: string, relPath: string): string {
  if (relPath.includes('\\') || path.posix.isAbsolute(relPath) || relPath.includes('\u0000')) {
    throw new QuarantineError(relPath, 'not a relative posix path');
  }
  const normalized = path.posix.normalize(relPath);
  if (normalized === '..' || normalized.startsWith('../') || normalized === '.') {
    throw new QuarantineError(relPath, 'path escapes the source root');
  }
  return path.join(path.resolve(root), ...normalized.split('/'));
}

/** Reads a file of at most maxBytes that contains no NUL byte. `label` names it in reasons. */
export async function readBounded(absPath: string, unitPath: string, maxBytes: number, label?: string): Promise<Buffer> {
  const prefix = label ? `${label}: ` : '';
  let stat;
  try {
    stat = await lstat(absPath);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new QuarantineError(unitPath, `${prefix}${code === 'ENOENT' ? 'file not found' : `cannot read file (${code ?? String(err)})`}`);
  }
  if (!stat.isFile()) throw new QuarantineError(unitPath, `${prefix}not a regular file`);
  if (stat.size > maxBytes) {
    throw new QuarantineError(unitPath, `${prefix}file is ${formatBytes(stat.size)}, over the ${formatBytes(maxBytes)} limit`);
  }
  // never more than the size just checked: a file that grows meanwhile is not read past it
  const buf = await readAtMost(absPath, stat.size + 1);
  if (buf.length !== stat.size) {
    // transient, not the file's fault: a plain Error, so the activity is retried rather than the file quarantined
    throw new Error(`${unitPath}: ${label ? `${label} ` : ''}changed while being read (${stat.size} bytes expected, ${buf.length} read)`);
  }
  const nul = buf.indexOf(0);
  if (nul !== -1) throw new QuarantineError(unitPath, `${prefix}binary content (NUL byte at offset ${nul})`);
  return buf;
}

/** The first `limit` bytes of a file (fewer if it is shorter). */
async function readAtMost(absPath: string, limit: number): Promise<Buffer> {
  const handle = await open(absPath, 'r');
  try {
    const buf = Buffer.alloc(limit);
    let filled = 0;
    while (filled < limit) {
      const { bytesRead } = await handle.read(buf, filled, limit - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return buf.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** UTF-8 text without a byte-order mark. */
export function decodeUtf8(buf: Buffer, unitPath: string, label?: string): string {
  try {
    return utf8.decode(buf);
  } catch {
    throw new QuarantineError(unitPath, `${label ? `${label}: ` : ''}not valid UTF-8 text (at byte offset ${firstInvalidUtf8(buf)})`);
  }
}

/** Offset of the first byte that is not valid UTF-8: where lossy decoding re-encodes differently. */
function firstInvalidUtf8(buf: Buffer): number {
  const roundTrip = Buffer.from(new TextDecoder('utf-8', { ignoreBOM: true }).decode(buf), 'utf8');
  const n = Math.min(buf.length, roundTrip.length);
  for (let i = 0; i < n; i++) if (buf[i] !== roundTrip[i]) return i;
  return n;
}

/**
 * JSON.parse with a human reason on failure: "invalid JSON at line 3 column 5 (...)".
 * The position comes from the engine's own error (V8 gives either "at position N" or the
 * offending token with up to 10 characters of context on each side); nothing is re-parsed.
 */
import { QuarantineError } from './types';

export function parseJson(text: string, unitPath: string, label?: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const prefix = label ? `${label}: ` : '';
    throw new QuarantineError(unitPath, prefix + describeJsonError(text, err instanceof Error ? err.message : String(err)));
  }
}

export function describeJsonError(text: string, message: string): string {
  if (text.trim() === '') return 'empty file (no JSON)';
  const offset = errorOffset(text, message);
  const detail = message.replace(/\s*(in JSON )?at position \d+.*$/s, '').replace(/, (\.\.\.)?".*"(\.\.\.)? is not valid JSON$/s, '');
  if (offset === undefined) return `invalid JSON (${detail})`;
  const { line, column } = lineColumn(text, offset);
  if (offset >= text.trimEnd().length) return `truncated: JSON ends unexpectedly at line ${line} column ${column}`;
  return `invalid JSON at line ${line} column ${column} (${detail})`;
}

function errorOffset(text: string, message: string): number | undefined {
  const at = /at position (\d+)/.exec(message);
  if (at) return Number(at[1]);
  if (/Unexpected end of JSON input/.test(message)) return text.length;
  const token = /^Unexpected token '([\s\S])', (\.\.\.)?"([\s\S]*)"(\.\.\.)? is not valid JSON$/.exec(message);
  if (!token) return undefined;
  const [, ch, lead, context = '', trail] = token;
  const CONTEXT = 10;
  if (!lead && !trail) return text.indexOf(ch ?? ''); // the whole (short) input was quoted
  if (!lead) return context.length - CONTEXT; // context starts at 0 and runs to pos + 10
  if (!trail) return text.length - context.length + CONTEXT; // context runs from pos - 10 to the end
  for (let i = text.indexOf(context); i !== -1; i = text.indexOf(context, i + 1)) {
    if (text[i + CONTEXT] === ch) return i + CONTEXT;
  }
  return undefined;
}

export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

import { UserError } from '../../core';

/** Splits CSV text into rows of fields: RFC 4180 quoting, CRLF or LF, a leading BOM dropped. */
export function parseCsv(text: string, file: string): string[][] {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (quoted) {
      if (c === '"') {
        if (src[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && src[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      line++;
    } else field += c;
  }
  if (quoted) throw new UserError(`${file}:${line}: unterminated quoted field`);
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

const SECONDS_LIMIT = 1e11; // unix seconds stay below this until the year 5138; milliseconds are above it since 1973

/** Unix seconds from unix seconds, unix milliseconds or ISO-8601, told apart by shape and size. */
export function parseTimestamp(raw: string): number | undefined {
  const value = raw.trim();
  if (/^\d+(\.\d+)?$/.test(value)) {
    const n = Number(value);
    const seconds = n >= SECONDS_LIMIT ? n / 1000 : n;
    return Number.isInteger(seconds) ? seconds : Math.floor(seconds);
  }
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value)) {
    const iso =
      value.length === 10
        ? `${value}T00:00:00Z`
        : /Z|[+-]\d{2}:?\d{2}$/.test(value)
          ? value.replace(' ', 'T')
          : `${value.replace(' ', 'T')}Z`;
    const ms = Date.parse(iso);
    return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
  }
  return undefined;
}

/** A positive decimal price as an exact decimal string (scientific notation normalised), or undefined. */
export function parsePrice(raw: string): string | undefined {
  const value = raw.trim();
  if (/^\+?\d+(\.\d+)?$/.test(value)) return Number(value) > 0 ? value.replace(/^\+/, '') : undefined;
  if (/^\+?\d+(\.\d+)?[eE][+-]?\d+$/.test(value)) {
    const n = Number(value);
    return Number.isFinite(n) && n > 0 ? n.toString() : undefined;
  }
  return undefined;
}

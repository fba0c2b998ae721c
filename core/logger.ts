import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Keys whose values are never written, at any depth. */
const SECRET_KEY = /(private_?key|secret|passw(or)?d|mnemonic|seed_?phrase|api_?key|authorization|keystore)/i;
const REDACTED = '[redacted]';

/** Secret values registered at run time (keys loaded from a keystore, API keys): scrubbed wherever they appear. */
const knownSecrets = new Set<string>();

/** Registers a secret so that no log line, error or report written through this module ever contains it. */
export function registerSecret(value: string | undefined): void {
  if (!value || value.length < 8) return;
  knownSecrets.add(value);
  if (value.startsWith('0x')) knownSecrets.add(value.slice(2));
}

/** Replaces every registered secret inside a string. */
export function scrubSecrets(text: string): string {
  let out = text;
  for (const secret of knownSecrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out;
}

/** A deep copy of `value` with secret-named keys and registered secret values redacted. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubSecrets(value);
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (value instanceof Error) {
    return { type: value.name, message: scrubSecrets(value.message), stack: value.stack ? scrubSecrets(value.stack) : undefined };
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = SECRET_KEY.test(key) ? REDACTED : redact(v, depth + 1);
  return out;
}

export interface LoggerOptions {
  level?: string;
  /** Pretty output; default: when stdout is a TTY. */
  pretty?: boolean;
  /** Where to write (tests capture here). Default: stderr, so stdout stays clean for --json output. */
  destination?: DestinationStream;
}

/** A pino logger: JSON lines (pretty on a TTY), secrets redacted by key name and by registered value. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const pretty = options.pretty ?? (process.stderr.isTTY === true && !options.destination);
  const base: pino.LoggerOptions = {
    level: options.level ?? 'info',
    base: undefined,
    formatters: { log: (obj) => redact(obj) as Record<string, unknown> },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? scrubSecrets(a) : a)) as Parameters<typeof method>);
      },
    },
    serializers: { err: (err: unknown) => redact(err) },
  };
  if (pretty) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { destination: 2, colorize: true } } });
  }
  return pino(base, options.destination ?? pino.destination({ fd: 2, sync: true }));
}

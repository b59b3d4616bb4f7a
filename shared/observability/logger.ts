/**
 * Structured logs with pino. Credentials and identity headers are redacted wherever
 * they appear in a logged request, so logs can be shipped without leaking secrets.
 */
import type { LoggerOptions } from 'pino';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Header paths masked in every log line. */
export const REDACTED_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
];

export interface LoggerConfig {
  /** Name attached to every line (the BFF or service name). */
  name: string;
  /** Minimum level; default `info`. */
  level?: LogLevel;
}

/** pino options for a Portico process (pass to Fastify's `logger`). */
export function createLoggerOptions({ name, level = 'info' }: LoggerConfig): LoggerOptions {
  return {
    name,
    level,
    redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
    base: { service: name },
  };
}

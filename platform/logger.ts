// Structured JSON logs; credentials are redacted wherever they appear. With tracing on,
// each line carries the trace and span it was written in, so a trace and its logs find
// each other.
import { pino, type Logger } from 'pino';
import { traceFields, tracingOn } from './tracing.js';

export type { Logger };

export function createLogger(service: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name: service,
    level,
    // Only when tracing is on: otherwise no line pays for the lookup.
    ...(tracingOn() ? { mixin: traceFields } : {}),
    redact: {
      paths: [
        'password',
        '*.password',
        'token',
        '*.token',
        'headers.authorization',
        'req.headers.authorization',
        'variables.password',
        'variables.input.password',
      ],
      censor: '[redacted]',
    },
  });
}

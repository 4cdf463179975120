import { z } from 'zod';
import { errorCatalogue, errorCodes, type ErrorCode } from './error-catalogue.js';

export interface SuccessEnvelope<T> {
  success: true;
  data: T;
}

export interface ErrorEnvelope {
  success: false;
  message: string;
  error: { code: ErrorCode; details?: unknown };
}

export function success<T>(data: T): SuccessEnvelope<T> {
  return { success: true, data };
}

export function failure(code: ErrorCode, message: string, details?: unknown): ErrorEnvelope {
  return { success: false, message, error: details === undefined ? { code } : { code, details } };
}

export function successSchema<T extends z.ZodType>(data: T) {
  return z.object({ success: z.literal(true), data });
}

const codeList = errorCodes
  .map((code) => `- \`${code}\` (${errorCatalogue[code].status}): ${errorCatalogue[code].meaning}`)
  .join('\n');

/** One OpenAPI component (`ErrorEnvelope`) that every error response refers to, listing every code. */
export const errorEnvelopeSchema = z
  .object({
    success: z.literal(false),
    message: z.string(),
    error: z.object({
      code: z
        .enum(errorCodes)
        .meta({ description: `Every code the API answers, with its status:\n${codeList}` }),
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: 'ErrorEnvelope' });

import { z } from 'zod';

export interface SuccessEnvelope<T> {
  success: true;
  data: T;
}

export interface ErrorEnvelope {
  success: false;
  message: string;
  error: { code: string; details?: unknown };
}

export function success<T>(data: T): SuccessEnvelope<T> {
  return { success: true, data };
}

export function failure(code: string, message: string, details?: unknown): ErrorEnvelope {
  return { success: false, message, error: details === undefined ? { code } : { code, details } };
}

export function successSchema<T extends z.ZodType>(data: T) {
  return z.object({ success: z.literal(true), data });
}

export const errorEnvelopeSchema = z.object({
  success: z.literal(false),
  message: z.string(),
  error: z.object({ code: z.string(), details: z.unknown().optional() }),
});

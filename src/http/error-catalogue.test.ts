import { describe, expect, it } from 'vitest';
import { AppError } from './app-error.js';
import { errorCatalogue, errorCodes, type ErrorCode } from './error-catalogue.js';

describe('error catalogue', () => {
  it('gives every code an error status and a meaning', () => {
    for (const code of errorCodes) {
      const { status, meaning } = errorCatalogue[code];
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(status, code).toBeLessThan(600);
      expect(meaning.length, code).toBeGreaterThan(10);
      expect(code, 'codes are snake_case').toMatch(/^[a-z]+(_[a-z]+)*$/);
    }
  });

  it('answers a client mistake with a 4xx and a failure on our side or upstream with a 5xx', () => {
    const serverSide: ErrorCode[] = [
      'internal_error',
      'provider_error',
      'smtp_error',
      'service_unavailable',
      'database_unavailable',
    ];
    for (const code of errorCodes) {
      const { status } = errorCatalogue[code];
      if (serverSide.includes(code)) expect(status, code).toBeGreaterThanOrEqual(500);
      else expect(status, code).toBeLessThan(500);
    }
  });

  it('is the only source of an AppError status', () => {
    for (const code of errorCodes) expect(new AppError(code, 'x').status).toBe(errorCatalogue[code].status);
    // Checked by the compiler (pnpm typecheck), never run: each line must fail to compile.
    const compileTimeOnly = () => [
      // @ts-expect-error: a code outside the catalogue
      new AppError('teapot', 'x'),
      // @ts-expect-error: a status chosen at the call site
      new AppError('conflict', 'x', { status: 418 }),
    ];
    void compileTimeOnly;
  });
});

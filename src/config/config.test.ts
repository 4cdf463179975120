import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { ConfigError } from './config-error.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-config-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('names every bad variable at once', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      DATABASE_URL: 'mysql://nope',
      ROLE: 'chef',
      LOG_LEVEL: 'loud',
      REDIS_URL: 'http://x',
      DATA_DIR: tempDir(),
    });
    const named = problems.map((problem) => problem.split(':')[0]).sort();
    expect(named).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'PORT', 'REDIS_URL', 'ROLE']);
  });

  it('requires SECRETS_KEY, PLATFORM_ADMIN_TOKEN and PUBLIC_BASE_URL in production', () => {
    const problems = problemsOf({ NODE_ENV: 'production', DATA_DIR: tempDir() });
    expect(problems.map((problem) => problem.split(':')[0]).sort()).toEqual([
      'PLATFORM_ADMIN_TOKEN',
      'PUBLIC_BASE_URL',
      'SECRETS_KEY',
    ]);
  });

  it('requires REDIS_URL with ROLE=worker, and warns about a production web process without it', () => {
    expect(problemsOf({ ROLE: 'worker', DATA_DIR: tempDir() })).toEqual([
      expect.stringMatching(/^REDIS_URL: required with ROLE=worker/),
    ]);
    expect(problemsOf({ ROLE: 'worker', REDIS_URL: 'redis://127.0.0.1:6379', DATA_DIR: tempDir() })).toEqual(
      [],
    );
    const production = {
      NODE_ENV: 'production',
      SECRETS_KEY: Buffer.alloc(32, 1).toString('base64'),
      PUBLIC_BASE_URL: 'https://crm.example.com',
    };
    const web = { ...production, ROLE: 'web', PLATFORM_ADMIN_TOKEN: 'a'.repeat(24), DATA_DIR: tempDir() };
    expect(loadConfig(web).warnings).toEqual([expect.stringMatching(/REDIS_URL is not set with ROLE=web/)]);
    expect(loadConfig({ ...web, REDIS_URL: 'redis://127.0.0.1:6379' }).warnings).toEqual([]);
  });

  it('rejects a SECRETS_KEY that is not 32 bytes', () => {
    expect(problemsOf({ SECRETS_KEY: 'c2hvcnQ=', DATA_DIR: tempDir() })[0]).toMatch(
      /^SECRETS_KEY: must be 32 bytes/,
    );
  });

  it('generates development secrets once per data directory, with a warning', () => {
    const dir = tempDir();
    const first = loadConfig({ DATA_DIR: dir });
    const second = loadConfig({ DATA_DIR: dir });
    expect(first.secrets.currentKey.equals(second.secrets.currentKey)).toBe(true);
    expect(first.platformAdminToken).toBe(second.platformAdminToken);
    expect(first.warnings.join('\n')).toMatch(/SECRETS_KEY is not set/);
    expect(first.database.url).toBeUndefined();
  });

  it('applies defaults', () => {
    const config = loadConfig({ DATA_DIR: tempDir(), SECRETS_KEY: Buffer.alloc(32, 1).toString('hex') });
    expect(config).toMatchObject({
      port: 3000,
      role: 'all',
      logLevel: 'info',
      tenancy: { maxCachedTenants: 500 },
    });
  });
});

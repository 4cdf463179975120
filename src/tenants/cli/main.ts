import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ZodError } from 'zod';
import { loadConfig } from '../../config/config.js';
import { ConfigError } from '../../config/config-error.js';
import { AppError } from '../../http/app-error.js';
import { createLogger } from '../../logging/logger.js';
import { secretKinds, type SecretKind } from '../secret-kinds.js';
import { connectAdmin } from './connect.js';
import { PlatformApiError } from './platform-api-client.js';
import type { TenantAdminPort } from './tenant-admin-port.js';

const usage = `Usage: pnpm tenant <command> [options] [--json]

Commands:
  create --code <code> --name <name> [--timezone <tz>] [--country <CC>] [--database-url <url>] [--label <key label>]
         [--import-max-bytes <n>]
  set-limits --code <code> [--import-max-bytes <n|default>]   (default: back to IMPORT_MAX_BYTES)
  list
  show --code <code>
  suspend --code <code>
  resume --code <code>
  create-key --code <code> --label <label> [--scopes crm,automations]
  revoke-key --code <code> --key-id <uuid>
  set-secret --code <code> --kind <${secretKinds.join('|')}> --file <path.json | ->
  remove-secret --code <code> --kind <${secretKinds.join('|')}>
  rotate-secrets-key
  staff-add --email <email> --name <name> --role <platform_admin|platform_support> [--password <initial password>]
            (without --password, a one-time initial password is printed)

Works whether or not the server is running (see README: "Onboarding").`;

const options = {
  code: { type: 'string' },
  name: { type: 'string' },
  timezone: { type: 'string' },
  country: { type: 'string' },
  'database-url': { type: 'string' },
  label: { type: 'string' },
  scopes: { type: 'string' },
  'key-id': { type: 'string' },
  kind: { type: 'string' },
  file: { type: 'string' },
  'import-max-bytes': { type: 'string' },
  email: { type: 'string' },
  role: { type: 'string' },
  password: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type Flags = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

function required(flags: Flags, name: keyof Flags): string {
  const value = flags[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

function secretKind(flags: Flags): SecretKind {
  const kind = required(flags, 'kind');
  if (!secretKinds.includes(kind as SecretKind)) {
    throw new UsageError(`--kind must be one of ${secretKinds.join(', ')}`);
  }
  return kind as SecretKind;
}

/** A limit flag: a whole number, `default` (null: remove the override), or absent. */
function limitFlag(flags: Flags, name: 'import-max-bytes', allowDefault: boolean): number | null | undefined {
  const value = flags[name];
  if (value === undefined) return undefined;
  if (allowDefault && value === 'default') return null;
  if (!/^\d+$/.test(value)) {
    throw new UsageError(`--${name} must be a whole number of bytes${allowDefault ? " or 'default'" : ''}`);
  }
  return Number(value);
}

class UsageError extends Error {}

async function run(command: string, flags: Flags, admin: TenantAdminPort): Promise<unknown> {
  switch (command) {
    case 'create': {
      const { tenant, apiKey } = await admin.createTenant({
        code: required(flags, 'code'),
        name: required(flags, 'name'),
        timezone: flags.timezone,
        defaultCountry: flags.country,
        databaseUrl: flags['database-url'],
        keyLabel: flags.label,
        limits: { importMaxBytes: limitFlag(flags, 'import-max-bytes', false) ?? undefined },
      });
      return { clientCode: tenant.clientCode, apiKey: apiKey.apiKey, tenantId: tenant.id };
    }
    case 'set-limits':
      return admin.updateTenant(required(flags, 'code'), {
        limits: { importMaxBytes: limitFlag(flags, 'import-max-bytes', true) },
      });
    case 'list':
      return admin.listTenants();
    case 'show':
      return admin.getTenant(required(flags, 'code'));
    case 'suspend':
      return admin.setStatus(required(flags, 'code'), 'suspended');
    case 'resume':
      return admin.setStatus(required(flags, 'code'), 'active');
    case 'create-key':
      return admin.createKey(required(flags, 'code'), {
        label: required(flags, 'label'),
        scopes: flags.scopes?.split(',').map((scope) => scope.trim()) as ['*'] | undefined,
      });
    case 'revoke-key':
      return admin.revokeKey(required(flags, 'code'), required(flags, 'key-id'));
    case 'set-secret': {
      const kind = secretKind(flags);
      const file = required(flags, 'file');
      const text = readFileSync(file === '-' ? 0 : file, 'utf8');
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        throw new UsageError(`${file === '-' ? 'stdin' : file} is not valid JSON`);
      }
      return admin.setSecret(required(flags, 'code'), kind, value);
    }
    case 'remove-secret':
      return admin.removeSecret(required(flags, 'code'), secretKind(flags));
    case 'rotate-secrets-key':
      return admin.rotateSecretsKey();
    case 'staff-add': {
      const role = required(flags, 'role');
      if (role !== 'platform_admin' && role !== 'platform_support') {
        throw new UsageError('--role must be platform_admin or platform_support');
      }
      return admin.addStaff({
        email: required(flags, 'email'),
        name: required(flags, 'name'),
        role,
        password: flags.password,
      });
    }
    default:
      throw new UsageError(`Unknown command '${command}'`);
  }
}

function humanReadable(command: string, result: unknown): string {
  if (command === 'create') {
    const created = result as { clientCode: string; apiKey: string; tenantId: string };
    return [
      `Created tenant ${created.clientCode} (${created.tenantId}).`,
      `API key (shown once, store it now): ${created.apiKey}`,
    ].join('\n');
  }
  if (command === 'staff-add') {
    const added = result as { staff: { email: string; role: string; id: string }; initialPassword?: string };
    return [
      `Added ${added.staff.role} ${added.staff.email} (${added.staff.id}).`,
      ...(added.initialPassword
        ? [`Initial password (shown once, hand it over now): ${added.initialPassword}`]
        : []),
    ].join('\n');
  }
  if (command === 'list') {
    const tenants = result as { clientCode: string; status: string; name: string }[];
    if (tenants.length === 0) return 'No tenants.';
    return tenants.map((t) => `${t.clientCode.padEnd(24)} ${t.status.padEnd(10)} ${t.name}`).join('\n');
  }
  return JSON.stringify(result, null, 2);
}

function describeError(error: unknown): { code: string; message: string; details?: unknown } {
  if (error instanceof UsageError) return { code: 'usage', message: `${error.message}\n\n${usage}` };
  if (error instanceof ConfigError) return { code: 'config', message: error.message };
  if (error instanceof ZodError) {
    return {
      code: 'validation_failed',
      message: error.issues.map((issue) => `${issue.path.join('.') || 'value'}: ${issue.message}`).join('\n'),
    };
  }
  if (error instanceof AppError || error instanceof PlatformApiError) {
    return { code: error.code, message: error.message, details: error.details };
  }
  return { code: 'error', message: error instanceof Error ? error.message : String(error) };
}

async function main(argv: string[]): Promise<number> {
  let flags: Flags;
  let positionals: string[];
  try {
    ({ values: flags, positionals } = parseArgs({ args: argv, options, allowPositionals: true }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${usage}\n`);
    return 2;
  }
  const [command] = positionals;
  if (!command || flags.help) {
    process.stdout.write(`${usage}\n`);
    return command ? 0 : 2;
  }
  let connection;
  try {
    const config = loadConfig();
    connection = await connectAdmin(config, createLogger({ level: 'silent' }));
    const result = await run(command, flags, connection.admin);
    process.stdout.write(flags.json ? `${JSON.stringify(result)}\n` : `${humanReadable(command, result)}\n`);
    return 0;
  } catch (error) {
    const described = describeError(error);
    if (flags.json) process.stderr.write(`${JSON.stringify({ error: described })}\n`);
    else process.stderr.write(`Error (${described.code}): ${described.message}\n`);
    return error instanceof UsageError ? 2 : 1;
  } finally {
    await connection?.close();
  }
}

process.exitCode = await main(process.argv.slice(2));

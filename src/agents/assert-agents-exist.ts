import type { TenantDb } from '../db/tenant-database.js';
import { AppError } from '../http/app-error.js';
import { unknownAgentIds } from './agent.repository.js';

/**
 * Refuses, as an invalid field at `path`, an agent id (one, or a list) that names no agent:
 * "Unknown agent <id>" for one, "Unknown agents: <ids>" for a list.
 */
export async function assertAgentsExist(
  db: TenantDb,
  agents: string | readonly string[],
  path: string,
): Promise<void> {
  const missing = await unknownAgentIds(db, typeof agents === 'string' ? [agents] : agents);
  if (missing.length === 0) return;
  const message =
    typeof agents === 'string' ? `Unknown agent ${agents}` : `Unknown agents: ${missing.join(', ')}`;
  throw AppError.invalidFields([{ path, message }]);
}

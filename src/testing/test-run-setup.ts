import type { TestProject } from 'vitest/node';
import { createDatabaseTemplate } from './database-template.js';

/**
 * vitest global set-up, once per project and run: migrates the template database that every
 * `startTestApp()` of the project copies, and drops it when the run ends.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const kind = project.config.env.TEST_DB === 'postgres' ? 'postgres' : 'pglite';
  const { template, drop } = await createDatabaseTemplate(kind);
  project.provide('databaseTemplate', template);
  return drop;
}

import { cpus, totalmem } from 'node:os';
import pg from 'pg';

/** One line that says where a benchmark ran. */
export async function describeMachine(databaseUrl?: string): Promise<string> {
  const cores = cpus();
  let postgres = 'PGlite (embedded)';
  if (databaseUrl) {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    postgres = `PostgreSQL ${(await client.query('show server_version')).rows[0].server_version}`;
    await client.end();
  }
  return `${cores.length} cores (${cores[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${postgres}`;
}

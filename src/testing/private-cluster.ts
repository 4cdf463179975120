import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './free-port.js';

const run = promisify(execFile);

/**
 * A Postgres server of its own (`initdb` + `pg_ctl`) on a free loopback port, for a test that
 * stops and restarts a whole server without touching the shared one. `initdb` refuses to run as
 * root, so under root every command runs as the `postgres` OS user.
 */
export interface PrivateCluster {
  port: number;
  /** A URL of `database` on this cluster, as the superuser `postgres` (trust). */
  urlOf(database: string): string;
  /** Runs `work` with a superuser connection to the cluster's `postgres` database. */
  withClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T>;
  start(): Promise<void>;
  /** `pg_ctl stop` in `mode` (`fast` ends the sessions as a restart does). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Stops the cluster at once (if it runs) and removes its directory; safe to call after a failure. */
  dispose(): Promise<void>;
}

/** The newest installed server's `bin` directory (`PG_BIN_DIR` overrides), or undefined if there is none. */
export function postgresBinDir(): string | undefined {
  if (process.env.PG_BIN_DIR)
    return existsSync(join(process.env.PG_BIN_DIR, 'initdb')) ? process.env.PG_BIN_DIR : undefined;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  return versions.map((version) => join(root, version, 'bin')).find((bin) => existsSync(join(bin, 'initdb')));
}

export async function startPrivateCluster(binDir: string): Promise<PrivateCluster> {
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-cluster-'));
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    chownSync(dir, uid, gid);
  }
  const dataDir = join(dir, 'data');
  const pgCommand = (program: string, args: string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', join(binDir, program), ...args])
      : run(join(binDir, program), args);
  const port = await freePort();
  // fsync off: the test restarts the server, it never crashes the machine.
  const serverOptions = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const pgCtl = (args: string[]) => pgCommand('pg_ctl', ['-D', dataDir, ...args]);

  let running = false;
  const cluster: PrivateCluster = {
    port,
    urlOf: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    async withClient(work) {
      const client = new pg.Client({ connectionString: cluster.urlOf('postgres') });
      await client.connect();
      try {
        return await work(client);
      } finally {
        await client.end();
      }
    },
    async start() {
      await pgCtl(['-l', join(dir, 'server.log'), '-o', serverOptions, '-w', 'start']);
      running = true;
    },
    async stop(mode = 'fast') {
      await pgCtl(['-m', mode, '-w', 'stop']);
      running = false;
    },
    async dispose() {
      try {
        if (running || existsSync(join(dataDir, 'postmaster.pid'))) await cluster.stop('immediate');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  try {
    await pgCommand('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    await cluster.start();
    return cluster;
  } catch (error) {
    await cluster.dispose().catch(() => undefined);
    throw error;
  }
}

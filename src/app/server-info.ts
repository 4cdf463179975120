import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * In embedded mode the running server owns the data directory; it leaves its port here
 * so `pnpm tenant` can reach it through the platform API instead of opening the database.
 */
export interface ServerInfo {
  pid: number;
  port: number;
}

const fileOf = (dataDir: string) => join(resolve(dataDir), 'server.json');

export function writeServerInfo(dataDir: string, port: number): void {
  writeFileSync(fileOf(dataDir), JSON.stringify({ pid: process.pid, port } satisfies ServerInfo));
}

export function readServerInfo(dataDir: string): ServerInfo | null {
  try {
    return JSON.parse(readFileSync(fileOf(dataDir), 'utf8')) as ServerInfo;
  } catch {
    return null;
  }
}

export function removeServerInfo(dataDir: string): void {
  rmSync(fileOf(dataDir), { force: true });
}

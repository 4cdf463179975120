import { readFileSync } from 'node:fs';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * vitest's order (failed first, then longest by the last run's durations, else largest file),
 * with the files that spawn child processes (CLI, server, crash-worker tests: the longest in a
 * fresh clone, which has no durations yet) moved to the front, so no worker starts one last.
 */
export default class SpawningFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const spawns = new Map(sorted.map((spec) => [spec, spawnsProcesses(spec.moduleId)]));
    return [...sorted.filter((spec) => spawns.get(spec)), ...sorted.filter((spec) => !spawns.get(spec))];
  }
}

function spawnsProcesses(file: string): boolean {
  return readFileSync(file, 'utf8').includes("from 'node:child_process'");
}

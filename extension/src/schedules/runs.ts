import type { INotebookRun, ISchedule } from '../api/schedules';

/**
 * The latest runs a schedule made, newest first. A scheduled run of `run_notebook` carries the
 * schedule's flow parameters (`{notebook, parameters, ...}`) and is recorded under the
 * schedule's owner, so those three identify it. A launch of the same notebook with the same
 * parameters by the same user looks alike; the list says "recent runs of this notebook", not
 * more.
 */
export function runsOfSchedule(
  schedule: ISchedule,
  runs: readonly INotebookRun[],
  limit = 3
): INotebookRun[] {
  const wanted = canonical(schedule.parameters);
  return runs
    .filter(
      run =>
        run.owner === schedule.owner &&
        run.parameters?.notebook === schedule.notebook &&
        canonical(run.parameters?.parameters ?? {}) === wanted
    )
    .sort((a, b) => b.created_at.localeCompare(a.created_at))
    .slice(0, limit);
}

/**
 * JSON with object keys sorted, so equal parameters compare equal whatever their order.
 */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item) =>
    item && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(
          Object.entries(item).sort(([a], [b]) => a.localeCompare(b))
        )
      : item
  );
}

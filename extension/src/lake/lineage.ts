/**
 * What a dataset's inputs are, from the lake keys its run's metadata lists
 * (lakebook.common.lake.LakePaths).
 */
export type LineageInput =
  | { kind: 'dataset'; dataset: string; runId: string; key: string }
  | { kind: 'upload'; key: string }
  | { kind: 'other'; key: string };

// processed/flows/<dataset>/<run_id>/output.parquet, under any lake root prefix.
const RUN_DATA = /(?:^|\/)processed\/flows\/([a-z][a-z0-9_]*)\/([^/]+)\/[^/]+$/;
const UPLOAD = /(?:^|\/)raw\/uploads\//;

export function describeInput(key: string): LineageInput {
  const run = RUN_DATA.exec(key);
  if (run) {
    return { kind: 'dataset', dataset: run[1], runId: run[2], key };
  }
  if (UPLOAD.test(key)) {
    return { kind: 'upload', key };
  }
  return { kind: 'other', key };
}

import { IUploadOut } from '../api/lake';

/**
 * The deployment that publishes an upload as a dataset.
 */
export const INGEST_FLOW = 'ingest_upload';

// check_dataset_name in lakebook.common.lake: lower-case letters, digits and '_', starting
// with a letter, at most 63 characters.
const DATASET_NAME = /^[a-z][a-z0-9_]{0,62}$/;

/**
 * A dataset name made from an uploaded file's name: `Sales 2024 (EU).csv` → `sales_2024_eu`.
 * A name that cannot start with a letter gets a `data_` prefix, so the proposal is always
 * one the gateway accepts; the user can still change it in the form.
 */
export function datasetNameFromFilename(filename: string): string {
  const stem = filename.replace(/\.[^.]*$/, '');
  const snake = stem
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  const named = /^[a-z]/.test(snake) ? snake : `data_${snake}`;
  return named.slice(0, 63).replace(/_+$/, '');
}

export function isDatasetName(name: string): boolean {
  return DATASET_NAME.test(name);
}

/**
 * The ingest form's data for an upload: the schema's (non-null) defaults, then the upload's key and a
 * dataset name from the file's name, for the parameters the schema has.
 */
export function ingestFormData(
  schema: Record<string, unknown>,
  upload: IUploadOut,
  filename: string
): Record<string, unknown> {
  const properties = (schema.properties ?? {}) as Record<
    string,
    { default?: unknown }
  >;
  const data: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(properties)) {
    // A null default is an Optional parameter left unset: the form shows its field without the
    // null (withoutNullableUnions), so a null value there would fail as "must be object".
    if (
      property &&
      property.default !== undefined &&
      property.default !== null
    ) {
      data[name] = property.default;
    }
  }
  const prefill: Record<string, unknown> = {
    upload_key: upload.key,
    dataset: datasetNameFromFilename(filename)
  };
  for (const [name, value] of Object.entries(prefill)) {
    if (name in properties) {
      data[name] = value;
    }
  }
  return data;
}

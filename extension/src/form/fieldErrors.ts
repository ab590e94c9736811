import { ErrorSchema } from '@rjsf/utils';

/**
 * A field error as the server extension answers it (from the gateway's 422 or its own checks).
 */
export interface IFieldError {
  /**
   * Dotted path of the field, e.g. `parameters.spec.steps.0.op`.
   */
  field: string;
  message: string;
}

/**
 * rjsf's `extraErrors` for field errors answered by the server: each error lands on its field.
 *
 * `prefix` is the part of the path that names the form's own root (e.g. `parameters`); errors
 * outside it, or on the root itself, are returned in `unplaced` so the caller can show them
 * above the form instead of losing them.
 */
export function toErrorSchema(
  errors: readonly IFieldError[],
  prefix = 'parameters'
): { errorSchema: ErrorSchema; unplaced: string[] } {
  const errorSchema: Record<string, any> = {};
  const unplaced: string[] = [];
  for (const error of errors) {
    const parts = error.field.split('.').filter(part => part.length > 0);
    if (prefix && parts[0] === prefix) {
      parts.shift();
    } else if (prefix) {
      unplaced.push(describe(error));
      continue;
    }
    if (parts.length === 0) {
      unplaced.push(describe(error));
      continue;
    }
    let node = errorSchema;
    for (const part of parts) {
      node[part] = node[part] ?? {};
      node = node[part];
    }
    node.__errors = [...(node.__errors ?? []), error.message];
  }
  return { errorSchema: errorSchema as ErrorSchema, unplaced };
}

function describe(error: IFieldError): string {
  return error.field ? `${error.field}: ${error.message}` : error.message;
}

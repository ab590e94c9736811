import { RJSFSchema } from '@rjsf/utils';

/**
 * Prefect writes an `Optional[X]` parameter as `anyOf: [X, {type: 'null'}]` with `default: null`.
 * rjsf shows such a union as a select of "Option 1" / "Option 2" above the field: a stranger's
 * words for "leave it unset". An optional field needs no union in a form (leaving it empty
 * already means "unset": the key is left out and the flow gets its default), so the form is
 * given `X` itself, keeping the title and description and dropping the null default.
 *
 * Applied to every property, nested ones and `definitions`/`$defs` included; other unions (two
 * real alternatives) are left as they are.
 */
export function withoutNullableUnions(schema: RJSFSchema): RJSFSchema {
  return unwrap(schema) as RJSFSchema;
}

type Json = RJSFSchema | RJSFSchema[] | unknown;

function unwrap(node: Json): Json {
  if (Array.isArray(node)) {
    return node.map(unwrap);
  }
  if (!isObject(node)) {
    return node;
  }
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    copy[key] = unwrap(value);
  }
  const branch = soleNonNullBranch(copy.anyOf);
  if (branch === null) {
    return copy;
  }
  const { anyOf: _union, ...outer } = copy;
  if (outer.default === null) {
    delete outer.default;
  }
  // The outer keys (title, description, a real default) describe the field and win.
  return { ...branch, ...outer };
}

/**
 * The one branch of `anyOf: [X, {type: 'null'}]` (in either order) that is not null, else null.
 */
function soleNonNullBranch(union: unknown): Record<string, unknown> | null {
  if (!Array.isArray(union) || union.length !== 2) {
    return null;
  }
  const others = union.filter(branch => !isNullType(branch));
  if (others.length !== 1 || !isObject(others[0])) {
    return null;
  }
  return others[0];
}

function isNullType(branch: unknown): boolean {
  return (
    isObject(branch) &&
    branch.type === 'null' &&
    Object.keys(branch).length === 1
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

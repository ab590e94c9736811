import type { IFieldError } from '../form/fieldErrors';
import type { INotebookParameter } from '../api/schedules';

/**
 * A JSON schema (the subset the parameters form needs).
 */
export interface IParametersSchema {
  type: 'object';
  properties: Record<string, Record<string, unknown>>;
}

// Python type names of a parameters cell, as JSON-schema types. `list`, `dict` and untyped
// parameters have no fixed shape, so the form edits them as JSON text (see `JSON_TYPES`).
const SCALAR_TYPES: Record<string, string> = {
  str: 'string',
  int: 'integer',
  float: 'number',
  bool: 'boolean'
};

/**
 * Whether the parameter is edited as JSON text.
 */
export function isJsonParameter(parameter: INotebookParameter): boolean {
  return !(parameter.type && parameter.type in SCALAR_TYPES);
}

/**
 * The default of a parameter as a JSON value. The server may answer it as a value or as the
 * Python source written in the cell (`'daily'`, `True`, `None`, `[1, 2]`); Python literals
 * that JSON can express are converted, anything else stays the source text.
 */
export function defaultValue(parameter: INotebookParameter): unknown {
  const given = parameter.default;
  if (typeof given !== 'string') {
    return given ?? null;
  }
  const source = given.trim();
  const quoted = /^(['"])(.*)\1$/s.exec(source);
  if (quoted) {
    return quoted[2];
  }
  if (parameter.type === 'str') {
    return given;
  }
  const literal = pythonLiteral(source);
  return literal === undefined ? given : literal;
}

/**
 * The JSON value of a Python literal made of numbers, quoted strings, True/False/None, lists
 * and dicts; undefined when it is anything else (an expression, a call).
 */
function pythonLiteral(source: string): unknown {
  // Swap Python's spellings for JSON's outside string literals, then let JSON.parse judge.
  const tokens = source.match(/'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^'"]+/gs);
  if (!tokens) {
    return undefined;
  }
  const json = tokens
    .map(token => {
      if (token.startsWith("'")) {
        return JSON.stringify(token.slice(1, -1).replace(/\\'/g, "'"));
      }
      if (token.startsWith('"')) {
        return token;
      }
      return token
        .replace(/\bTrue\b/g, 'true')
        .replace(/\bFalse\b/g, 'false')
        .replace(/\bNone\b/g, 'null')
        .replace(/\(/g, '[')
        .replace(/\)/g, ']')
        .replace(/,(\s*[\]}])/g, '$1');
    })
    .join('');
  try {
    return JSON.parse(json);
  } catch {
    return undefined;
  }
}

/**
 * The JSON schema of the notebook's parameters for the shared parameters form: each
 * parameter a property of its JSON type with the cell's default; `list`, `dict` and untyped
 * ones a JSON text field.
 */
export function parametersSchema(
  parameters: readonly INotebookParameter[]
): IParametersSchema {
  const properties: Record<string, Record<string, unknown>> = {};
  for (const parameter of parameters) {
    const value = defaultValue(parameter);
    const description = parameter.help || undefined;
    if (isJsonParameter(parameter)) {
      properties[parameter.name] = {
        type: 'string',
        title: parameter.name,
        description: [description, `JSON (${parameter.type ?? 'any'})`]
          .filter(Boolean)
          .join(' — '),
        default: JSON.stringify(value)
      };
      continue;
    }
    const type = SCALAR_TYPES[parameter.type as string];
    const property: Record<string, unknown> = {
      type: parameter.optional ? [type, 'null'] : type,
      title: parameter.name
    };
    if (description) {
      property.description = description;
    }
    if (value !== null && value !== undefined) {
      property.default = value;
    }
    properties[parameter.name] = property;
  }
  return { type: 'object', properties };
}

/**
 * The parameters a schedule sends: the form's values that differ from the notebook's own
 * defaults (so a later change of a default in the notebook still applies), JSON text fields
 * parsed; errors name the field as the server would (`parameters.x`).
 */
export function scheduleParameters(
  parameters: readonly INotebookParameter[],
  formData: Readonly<Record<string, unknown>>
): { values: Record<string, unknown>; errors: IFieldError[] } {
  const values: Record<string, unknown> = {};
  const errors: IFieldError[] = [];
  for (const parameter of parameters) {
    if (!(parameter.name in formData)) {
      continue;
    }
    let value = formData[parameter.name];
    if (isJsonParameter(parameter)) {
      try {
        value = JSON.parse(String(value ?? 'null'));
      } catch {
        errors.push({
          field: `parameters.${parameter.name}`,
          message: 'is not valid JSON'
        });
        continue;
      }
    }
    if (!sameJson(value, defaultValue(parameter))) {
      values[parameter.name] = value ?? null;
    }
  }
  return { values, errors };
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

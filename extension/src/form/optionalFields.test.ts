import { describe, expect, it } from 'vitest';

import { RJSFSchema } from '@rjsf/utils';
import { customizeValidator } from '@rjsf/validator-ajv8';

import { withoutNullableUnions } from './optionalFields';

// What Prefect writes for `column_types: Optional[dict[str, str]] = None` (ingest_upload).
const INGEST: RJSFSchema = {
  type: 'object',
  properties: {
    upload_key: { type: 'string', title: 'upload_key' },
    column_types: {
      anyOf: [
        { type: 'object', additionalProperties: { type: 'string' } },
        { type: 'null' }
      ],
      default: null,
      title: 'column_types',
      description: 'Column name to its type.'
    }
  },
  required: ['upload_key']
};

describe('withoutNullableUnions', () => {
  it('gives an optional field its one real type, with its title and help', () => {
    const field = withoutNullableUnions(INGEST).properties!.column_types;
    expect(field).toEqual({
      type: 'object',
      additionalProperties: { type: 'string' },
      title: 'column_types',
      description: 'Column name to its type.'
    });
  });

  it('keeps a real default and reaches nested properties and definitions', () => {
    const schema: RJSFSchema = {
      type: 'object',
      properties: {
        spec: { $ref: '#/definitions/Spec' },
        limit: { anyOf: [{ type: 'null' }, { type: 'integer' }], default: 5 }
      },
      definitions: {
        Spec: {
          type: 'object',
          properties: {
            where: {
              anyOf: [{ type: 'string' }, { type: 'null' }],
              default: null
            }
          }
        }
      }
    };
    const out = withoutNullableUnions(schema);
    expect(out.properties!.limit).toEqual({ type: 'integer', default: 5 });
    const spec = out.definitions!.Spec as RJSFSchema;
    expect(spec.properties!.where).toEqual({ type: 'string' });
  });

  it('leaves unions of two real alternatives alone, and does not change its input', () => {
    const union: RJSFSchema = {
      anyOf: [{ type: 'string' }, { type: 'integer' }]
    };
    expect(withoutNullableUnions(union)).toEqual(union);
    const before = JSON.stringify(INGEST);
    withoutNullableUnions(INGEST);
    expect(JSON.stringify(INGEST)).toBe(before);
  });

  it('validates the parameters an optional field is left out of, and refuses a wrong type', () => {
    // The validator ParametersForm uses (importing the form itself needs a browser).
    const validator = customizeValidator();
    const schema = withoutNullableUnions(INGEST);
    const errors = (formData: Record<string, unknown>) =>
      validator.validateFormData(formData, schema).errors;
    expect(errors({ upload_key: 'k' })).toEqual([]);
    expect(errors({ upload_key: 'k', column_types: { a: 1 } })).not.toEqual([]);
  });
});

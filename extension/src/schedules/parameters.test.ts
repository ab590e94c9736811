import { describe, expect, it } from 'vitest';

import type { INotebookParameter } from '../api/schedules';
import {
  defaultValue,
  parametersSchema,
  scheduleParameters
} from './parameters';

const CELL: INotebookParameter[] = [
  { name: 'region', type: 'str', default: "'emea'", help: 'Sales region' },
  { name: 'limit', type: 'int', default: '10' },
  { name: 'ratio', type: 'float', default: '0.5' },
  { name: 'dry_run', type: 'bool', default: 'True' },
  { name: 'columns', type: 'list', default: "['a', 'b']" },
  { name: 'options', type: 'dict', default: "{'k': None}" },
  { name: 'anything', type: null, default: 'None', optional: true }
];

describe('defaultValue', () => {
  it('reads the Python literals of a parameters cell', () => {
    expect(CELL.map(defaultValue)).toEqual([
      'emea',
      10,
      0.5,
      true,
      ['a', 'b'],
      { k: null },
      null
    ]);
  });

  it('takes values the server already decoded as they are', () => {
    expect(defaultValue({ name: 'n', type: 'int', default: 3 })).toBe(3);
    expect(defaultValue({ name: 's', type: 'str', default: 'plain' })).toBe(
      'plain'
    );
    expect(defaultValue({ name: 'l', type: 'list', default: [1] })).toEqual([
      1
    ]);
  });

  it('keeps an expression as its source text', () => {
    expect(
      defaultValue({ name: 'day', type: null, default: 'date.today()' })
    ).toBe('date.today()');
  });
});

describe('parametersSchema', () => {
  it('gives each parameter its JSON-schema type and default', () => {
    const schema = parametersSchema(CELL);
    expect(schema.type).toBe('object');
    expect(schema.properties.region).toEqual({
      type: 'string',
      title: 'region',
      description: 'Sales region',
      default: 'emea'
    });
    expect(schema.properties.limit).toMatchObject({
      type: 'integer',
      default: 10
    });
    expect(schema.properties.ratio).toMatchObject({
      type: 'number',
      default: 0.5
    });
    expect(schema.properties.dry_run).toMatchObject({
      type: 'boolean',
      default: true
    });
    expect(schema.properties.columns).toMatchObject({
      type: 'string',
      default: '["a","b"]'
    });
    expect(schema.properties.anything).toMatchObject({
      type: 'string',
      default: 'null'
    });
    expect(Object.keys(schema.properties)).toEqual(CELL.map(p => p.name));
  });

  it('lets an optional typed parameter be null', () => {
    const schema = parametersSchema([
      { name: 'n', type: 'int', default: 'None', optional: true }
    ]);
    expect(schema.properties.n).toEqual({
      type: ['integer', 'null'],
      title: 'n'
    });
  });
});

describe('scheduleParameters', () => {
  it('sends only what differs from the notebook defaults', () => {
    const form = {
      region: 'emea',
      limit: 25,
      ratio: 0.5,
      dry_run: false,
      columns: '["a", "b"]',
      options: '{"k": 1}',
      anything: 'null'
    };
    expect(scheduleParameters(CELL, form)).toEqual({
      values: { limit: 25, dry_run: false, options: { k: 1 } },
      errors: []
    });
  });

  it('names the field whose JSON does not parse', () => {
    const result = scheduleParameters(CELL, { columns: '[1,' });
    expect(result.errors).toEqual([
      { field: 'parameters.columns', message: 'is not valid JSON' }
    ]);
    expect(result.values).toEqual({});
  });
});

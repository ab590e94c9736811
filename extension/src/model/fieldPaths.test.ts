import { describe, expect, it } from 'vitest';

import { toErrorSchema } from '../form/fieldErrors';
import { asParameterPaths } from './fieldPaths';

describe('asParameterPaths', () => {
  it("places the gateway's parameter-relative errors on their fields", () => {
    const errors = asParameterPaths(
      [
        {
          field: 'wait_seconds',
          message: '9999 is greater than the maximum of 600'
        },
        { field: 'parameters.spec.steps.0.op', message: 'not one of the ops' },
        { field: 'colour', message: "unknown parameter 'colour'" }
      ],
      ['message', 'wait_seconds', 'spec']
    );
    const { errorSchema, unplaced } = toErrorSchema(errors);
    expect(errorSchema).toEqual({
      wait_seconds: { __errors: ['9999 is greater than the maximum of 600'] },
      spec: { steps: { 0: { op: { __errors: ['not one of the ops'] } } } }
    });
    expect(unplaced).toEqual(["colour: unknown parameter 'colour'"]);
  });
});

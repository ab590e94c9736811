import { IFieldError } from '../form/fieldErrors';

/**
 * The gateway names a parameter's field relative to the parameters (`wait_seconds`), the
 * contract relative to the body (`parameters.wait_seconds`): bring both to the contract's form
 * when the first part is one of the schema's parameters, so the error lands on its field;
 * anything else (an unknown parameter, `body`) stays as it is and is shown above the form.
 */
export function asParameterPaths(
  errors: readonly IFieldError[],
  parameterNames: readonly string[]
): IFieldError[] {
  const names = new Set(parameterNames);
  return errors.map(error => {
    const first = error.field.split('.')[0];
    return first !== 'parameters' && names.has(first)
      ? { ...error, field: `parameters.${error.field}` }
      : error;
  });
}

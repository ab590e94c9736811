import { FormComponent } from '@jupyterlab/ui-components';
import { ReadonlyJSONObject } from '@lumino/coreutils';
import { ErrorSchema, RJSFSchema, RJSFValidationError } from '@rjsf/utils';
import { customizeValidator } from '@rjsf/validator-ajv8';
import * as React from 'react';

import { withoutNullableUnions } from './optionalFields';

// One ajv validator for every form: compiling it is the costly part.
const validator = customizeValidator<ReadonlyJSONObject>();

/**
 * The schema errors of some parameters, by the same rules as the form (e.g. to know whether a
 * form just shown, not yet edited, can be submitted).
 */
export function validateParameters(
  schema: RJSFSchema,
  formData: ReadonlyJSONObject
): RJSFValidationError[] {
  return validator.validateFormData(formData, withoutNullableUnions(schema))
    .errors;
}

/**
 * Props of the parameters form shared by the launch view, the scheduling dialog and anything
 * else that edits a flow's or a notebook's parameters from a JSON schema.
 */
export interface IParametersFormProps {
  /**
   * JSON schema of the parameters (a flow's `parameters_schema`, or one built from a
   * notebook's parameters cell).
   */
  schema: RJSFSchema;
  formData: ReadonlyJSONObject;
  onChange: (
    formData: ReadonlyJSONObject,
    errors: RJSFValidationError[]
  ) => void;
  /**
   * Errors the server answered, placed on their fields (see `toErrorSchema`).
   */
  extraErrors?: ErrorSchema;
  /**
   * Called with valid data when the user submits the form (Enter in a field).
   */
  onSubmit?: (formData: ReadonlyJSONObject) => void;
  disabled?: boolean;
  /**
   * Titles and help above the fields, as in JupyterLab's narrow side panels (no indent per
   * nesting level).
   */
  compact?: boolean;
  /**
   * Accessible name of the form.
   */
  label: string;
}

/**
 * JupyterLab's rjsf form (themed with `--jp-*` variables) over a parameters schema: defaults,
 * required marks, descriptions as help, enums as selects, nested objects and lists as nested
 * fields, validated against the schema live (the same rules for every lakebook form).
 */
export function ParametersForm(props: IParametersFormProps): JSX.Element {
  const schema = React.useMemo(
    () => withoutNullableUnions(props.schema),
    [props.schema]
  );
  return (
    <div
      className="jp-lakebook-ParametersForm"
      role="form"
      aria-label={props.label}
    >
      <FormComponent
        schema={schema}
        formData={props.formData}
        validator={validator}
        liveValidate
        showErrorList={false}
        extraErrors={props.extraErrors}
        disabled={props.disabled}
        compact={props.compact}
        noHtml5Validate
        // No submit button of rjsf's own: the caller places its Launch/Create button.
        uiSchema={{ 'ui:submitButtonOptions': { norender: true } }}
        onChange={event =>
          props.onChange(
            (event.formData ?? {}) as ReadonlyJSONObject,
            event.errors ?? []
          )
        }
        onSubmit={event =>
          props.onSubmit?.((event.formData ?? {}) as ReadonlyJSONObject)
        }
      />
    </div>
  );
}

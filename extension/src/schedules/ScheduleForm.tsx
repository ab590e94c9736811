import { TranslationBundle } from '@jupyterlab/translation';
import { HTMLSelect, ReactWidget } from '@jupyterlab/ui-components';
import { ReadonlyJSONObject } from '@lumino/coreutils';
import { RJSFSchema } from '@rjsf/utils';
import * as React from 'react';

import {
  INotebookParameter,
  ISchedule,
  createSchedule,
  notebookParameters
} from '../api/schedules';
import { LakebookResponseError } from '../api/request';
import { IFieldError, toErrorSchema } from '../form/fieldErrors';
import { ParametersForm } from '../form/ParametersForm';
import {
  CronPreset,
  CronPresetKind,
  DEFAULT_PRESET,
  PRESET_KINDS,
  describeCron,
  presetToCron,
  switchPreset
} from './cron';
import {
  IScheduleDraft,
  browserTimeZone,
  defaultScheduleName,
  errorsByField,
  timeZones,
  validateDraft
} from './draft';
import { parametersSchema } from './parameters';

const WEEKDAYS = [
  'Sunday',
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday'
];

/**
 * The body of the scheduling dialog: what to run (notebook, parameters from its parameters
 * cell), when (a preset or a cron, with its reading in words, and a time zone) and under which
 * names. It keeps the user's input when the server refuses it and shows each refusal on its
 * field.
 */
export class ScheduleForm extends ReactWidget {
  constructor(notebook: string, trans: TranslationBundle) {
    super();
    this.addClass('jp-lakebook-ScheduleForm');
    this._trans = trans;
    this._labPath = notebook;
    this._draft = {
      notebook,
      name: defaultScheduleName(notebook),
      reportName: '',
      preset: DEFAULT_PRESET,
      timezone: browserTimeZone(),
      parameters: {}
    };
  }

  /**
   * Read the notebook's parameters cell (the form shows them once they arrive).
   */
  async load(): Promise<void> {
    try {
      const answer = await notebookParameters(this._draft.notebook);
      this._parameters = answer.parameters ?? [];
      // The form starts from the cell's defaults, which is what the notebook would use.
      const defaults: Record<string, unknown> = {};
      const { properties } = parametersSchema(this._parameters);
      for (const [name, property] of Object.entries(properties)) {
        if (property.default !== undefined) {
          defaults[name] = property.default;
        }
      }
      // The server says how a schedule names this file (its path in the workspace folder
      // scheduled notebooks run from), which need not be its path in Lab.
      this._draft = {
        ...this._draft,
        notebook: answer.notebook || this._draft.notebook,
        parameters: defaults
      };
    } catch (error) {
      this._loadError = (error as Error).message;
    } finally {
      this._loading = false;
      this.update();
    }
  }

  /**
   * Create the schedule; null (and the errors shown on their fields) when it is refused.
   */
  async submit(): Promise<ISchedule | null> {
    if (this._submitting) {
      return null;
    }
    this._attempted = true;
    const { body } = validateDraft(this._draft, this._parameters ?? []);
    if (!body || this._formErrors > 0 || this._loading) {
      this.update();
      return null;
    }
    this._submitting = true;
    this._serverErrors = [];
    this._serverMessage = '';
    this.update();
    try {
      this._created = await createSchedule(body);
      return this._created;
    } catch (error) {
      if (error instanceof LakebookResponseError) {
        this._serverErrors = error.fields;
        this._serverMessage = error.fields.length > 0 ? '' : error.message;
      } else {
        this._serverMessage = (error as Error).message;
      }
      return null;
    } finally {
      this._submitting = false;
      this.update();
    }
  }

  /**
   * The created schedule (Dialog reads it when the dialog resolves).
   */
  getValue(): ISchedule | null {
    return this._created;
  }

  render(): JSX.Element {
    const trans = this._trans;
    const draft = this._draft;
    const cron = presetToCron(draft.preset);
    const described = describeCron(cron);
    const local = validateDraft(draft, this._parameters ?? []).errors;
    // Before a first Create only the cron is judged live (it has a preview of its own); the
    // other fields are judged once the user tries to create.
    const shown = this._attempted
      ? local
      : local.filter(error => error.field === 'cron');
    const errors = errorsByField([...shown, ...this._serverErrors]);
    const parameterErrors = toErrorSchema(
      [...local, ...this._serverErrors].filter(error =>
        error.field.startsWith('parameters')
      )
    );
    const formMessage = [
      this._serverMessage,
      errors.form,
      ...parameterErrors.unplaced
    ]
      .filter(Boolean)
      .join(' ');
    return (
      <div className="jp-lakebook-ScheduleForm-body">
        <Field
          id="notebook"
          label={trans.__('Notebook')}
          hint={
            draft.notebook !== this._labPath
              ? trans.__('Runs as %1 in the workspace folder.', draft.notebook)
              : undefined
          }
          error={errors.notebook}
        >
          <input
            className="jp-mod-styled"
            value={this._labPath}
            readOnly
            aria-readonly="true"
          />
        </Field>
        <Field id="name" label={trans.__('Schedule name')} error={errors.name}>
          <input
            className="jp-mod-styled"
            value={draft.name}
            spellCheck={false}
            onChange={event =>
              this._change('name', { name: event.target.value })
            }
          />
        </Field>
        <Field
          id="report_name"
          label={trans.__('Report name (optional)')}
          hint={trans.__(
            'Names the reports each run publishes; default: the run id.'
          )}
          error={errors.report_name}
        >
          <input
            className="jp-mod-styled"
            value={draft.reportName}
            onChange={event =>
              this._change('report_name', { reportName: event.target.value })
            }
          />
        </Field>
        <fieldset className="jp-lakebook-ScheduleForm-group">
          <legend>{trans.__('Parameters')}</legend>
          {this._renderParameters(parameterErrors.errorSchema)}
        </fieldset>
        <fieldset className="jp-lakebook-ScheduleForm-group">
          <legend>{trans.__('Schedule')}</legend>
          <Field id="interval" label={trans.__('Interval')}>
            <HTMLSelect
              value={draft.preset.kind}
              onChange={event =>
                this._change('cron', {
                  preset: switchPreset(
                    draft.preset,
                    event.target.value as CronPresetKind
                  )
                })
              }
              options={PRESET_KINDS.map(kind => ({
                value: kind,
                label: this._presetLabel(kind)
              }))}
            />
          </Field>
          {this._renderPresetFields(draft.preset, errors.cron)}
          <p
            className="jp-lakebook-ScheduleForm-cronPreview"
            id="jp-lakebook-schedule-cron-preview"
            aria-live="polite"
            data-valid={described.ok ? 'true' : 'false'}
          >
            {described.ok ? (
              <>
                {described.text} <code>{cron}</code>
              </>
            ) : draft.preset.kind === 'custom' ? null : (
              described.error
            )}
          </p>
          <Field
            id="timezone"
            label={trans.__('Time zone')}
            error={errors.timezone}
          >
            <HTMLSelect
              value={draft.timezone}
              onChange={event =>
                this._change('timezone', { timezone: event.target.value })
              }
              options={this._zones}
            />
          </Field>
        </fieldset>
        {formMessage && (
          <p className="jp-lakebook-ScheduleForm-error" role="alert">
            {formMessage}
          </p>
        )}
        {this._submitting && (
          <p className="jp-lakebook-ScheduleForm-status" aria-live="polite">
            {trans.__('Creating the schedule…')}
          </p>
        )}
      </div>
    );
  }

  private _renderParameters(
    errorSchema: ReturnType<typeof toErrorSchema>['errorSchema']
  ): JSX.Element {
    const trans = this._trans;
    if (this._loading) {
      return (
        <p className="jp-lakebook-ScheduleForm-hint">
          {trans.__('Reading the notebook’s parameters cell…')}
        </p>
      );
    }
    if (this._loadError) {
      return (
        <p className="jp-lakebook-ScheduleForm-error" role="alert">
          {trans.__(
            'Cannot read the notebook’s parameters: %1',
            this._loadError
          )}
        </p>
      );
    }
    const parameters = this._parameters ?? [];
    if (parameters.length === 0) {
      return (
        <p className="jp-lakebook-ScheduleForm-hint">
          {trans.__(
            'This notebook has no cell tagged “parameters”: it runs as it is.'
          )}
        </p>
      );
    }
    return (
      <ParametersForm
        label={trans.__('Notebook parameters')}
        schema={parametersSchema(parameters) as RJSFSchema}
        formData={this._draft.parameters as ReadonlyJSONObject}
        extraErrors={errorSchema}
        disabled={this._submitting}
        onChange={(formData, formErrors) => {
          this._formErrors = formErrors.length;
          this._change('parameters', { parameters: { ...formData } });
        }}
      />
    );
  }

  private _renderPresetFields(
    preset: CronPreset,
    cronError?: string
  ): JSX.Element {
    const trans = this._trans;
    const set = (change: Partial<CronPreset>) =>
      this._change('cron', { preset: { ...preset, ...change } as CronPreset });
    const time =
      'hour' in preset ? (
        <Field id="time" label={trans.__('Time')}>
          <input
            className="jp-mod-styled"
            type="time"
            required
            value={`${pad(preset.hour)}:${pad(preset.minute)}`}
            onChange={event => {
              const [hour, minute] = event.target.value.split(':').map(Number);
              if (Number.isInteger(hour) && Number.isInteger(minute)) {
                set({ hour, minute });
              }
            }}
          />
        </Field>
      ) : null;
    switch (preset.kind) {
      case 'hourly':
        return (
          <Field id="minute" label={trans.__('Minute past the hour')}>
            <input
              className="jp-mod-styled"
              type="number"
              min={0}
              max={59}
              value={preset.minute}
              onChange={event =>
                set({ minute: clamp(event.target.valueAsNumber, 0, 59) })
              }
            />
          </Field>
        );
      case 'daily':
      case 'weekdays':
        return <>{time}</>;
      case 'weekly':
        return (
          <>
            <Field id="weekday" label={trans.__('Day of the week')}>
              <HTMLSelect
                value={String(preset.weekday)}
                onChange={event => set({ weekday: Number(event.target.value) })}
                options={WEEKDAYS.map((day, index) => ({
                  value: String(index),
                  label: trans.__(day)
                }))}
              />
            </Field>
            {time}
          </>
        );
      case 'monthly':
        return (
          <>
            <Field
              id="day"
              label={trans.__('Day of the month')}
              hint={
                preset.day > 28
                  ? trans.__('Months without this day are skipped.')
                  : undefined
              }
            >
              <input
                className="jp-mod-styled"
                type="number"
                min={1}
                max={31}
                value={preset.day}
                onChange={event =>
                  set({ day: clamp(event.target.valueAsNumber, 1, 31) })
                }
              />
            </Field>
            {time}
          </>
        );
      case 'custom':
        return (
          <Field
            id="cron"
            label={trans.__('Cron expression')}
            hint={trans.__('minute hour day-of-month month day-of-week')}
            error={cronError}
          >
            <input
              className="jp-mod-styled jp-lakebook-ScheduleForm-cron"
              value={preset.cron}
              spellCheck={false}
              placeholder="0 6 * * 1-5"
              aria-describedby="jp-lakebook-schedule-cron-preview"
              onChange={event => set({ cron: event.target.value })}
            />
          </Field>
        );
    }
  }

  private _presetLabel(kind: CronPresetKind): string {
    const trans = this._trans;
    switch (kind) {
      case 'hourly':
        return trans.__('Every hour');
      case 'daily':
        return trans.__('Every day');
      case 'weekdays':
        return trans.__('Every weekday (Monday to Friday)');
      case 'weekly':
        return trans.__('Every week');
      case 'monthly':
        return trans.__('Every month');
      case 'custom':
        return trans.__('Custom schedule (cron)');
    }
  }

  /**
   * Apply a change and forget the server's errors on the field it touches (they were about
   * the old value).
   */
  private _change(field: string, change: Partial<IScheduleDraft>): void {
    this._draft = { ...this._draft, ...change };
    this._serverErrors = this._serverErrors.filter(
      error => error.field !== field && !error.field.startsWith(`${field}.`)
    );
    this.update();
  }

  private _trans: TranslationBundle;
  private _labPath: string;
  private _draft: IScheduleDraft;
  private _parameters: INotebookParameter[] | null = null;
  private _loading = true;
  private _loadError = '';
  private _submitting = false;
  private _attempted = false;
  private _formErrors = 0;
  private _serverErrors: IFieldError[] = [];
  private _serverMessage = '';
  private _created: ISchedule | null = null;
  private _zones = timeZones();
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

function clamp(value: number, low: number, high: number): number {
  return Number.isFinite(value) ? Math.min(high, Math.max(low, value)) : low;
}

/**
 * A labelled input with its hint and its error, tied together for assistive technology.
 */
function Field(props: {
  id: string;
  label: string;
  hint?: string;
  error?: string;
  children: React.ReactElement;
}): JSX.Element {
  const inputId = `jp-lakebook-schedule-${props.id}`;
  const hintId = `${inputId}-hint`;
  const errorId = `${inputId}-error`;
  const describedBy = [
    props.children.props['aria-describedby'],
    props.hint ? hintId : null,
    props.error ? errorId : null
  ]
    .filter(Boolean)
    .join(' ');
  const input = React.cloneElement(props.children, {
    id: inputId,
    'aria-invalid': props.error ? 'true' : undefined,
    'aria-describedby': describedBy || undefined
  });
  return (
    <div
      className="jp-lakebook-ScheduleForm-field"
      data-field={props.id}
      data-invalid={props.error ? 'true' : undefined}
    >
      <label htmlFor={inputId}>{props.label}</label>
      {input}
      {props.hint && (
        <span className="jp-lakebook-ScheduleForm-hint" id={hintId}>
          {props.hint}
        </span>
      )}
      {props.error && (
        <span
          className="jp-lakebook-ScheduleForm-fieldError"
          id={errorId}
          role="alert"
        >
          {props.error}
        </span>
      )}
    </div>
  );
}

import { Dialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';

import { ISchedule } from '../api/schedules';
import { ScheduleForm } from './ScheduleForm';

const CREATE_INDEX = 1;

/**
 * A dialog whose Create button (or Enter) creates the schedule first and closes only when
 * the server accepted it: a refusal leaves the dialog open with the user's input and the
 * errors on their fields, where JupyterLab's Dialog would close on any accept.
 */
class ScheduleDialog extends Dialog<ISchedule | null> {
  constructor(
    private readonly _form: ScheduleForm,
    trans: TranslationBundle
  ) {
    super({
      title: trans.__('Schedule Notebook'),
      body: _form,
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.okButton({
          label: trans.__('Create'),
          ariaLabel: trans.__('Create the schedule')
        })
      ],
      defaultButton: CREATE_INDEX,
      focusNodeSelector: '#jp-lakebook-schedule-name'
    });
    this.addClass('jp-lakebook-ScheduleDialog');
  }

  resolve(index: number = CREATE_INDEX): void {
    if (index !== CREATE_INDEX) {
      super.resolve(index);
      return;
    }
    void this._form.submit().then(created => {
      if (created) {
        super.resolve(CREATE_INDEX);
      }
    });
  }
}

/**
 * Show the scheduling dialog for a notebook; the created schedule, or null when cancelled.
 */
export async function scheduleNotebookDialog(
  notebook: string,
  trans: TranslationBundle
): Promise<ISchedule | null> {
  const form = new ScheduleForm(notebook, trans);
  void form.load();
  const result = await new ScheduleDialog(form, trans).launch();
  return result.button.accept ? result.value : null;
}

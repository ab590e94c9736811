/**
 * Every command of the lakebook extension, in one table: the palette, menus, toolbars and
 * the panel's buttons all go through these ids (category "Lakebook" in the palette).
 */
export namespace CommandIDs {
  export const openPanel = 'lakebook:open-panel';
  export const refresh = 'lakebook:refresh';
  export const signIn = 'lakebook:sign-in';
  export const signOut = 'lakebook:sign-out';
  export const launchFlow = 'lakebook:launch-flow';
  export const openRun = 'lakebook:open-run';
  export const cancelRun = 'lakebook:cancel-run';
  export const openRunInNotebook = 'lakebook:open-run-in-notebook';
  export const openReport = 'lakebook:open-report';
  export const browseLake = 'lakebook:browse-lake';
  export const queryDatasetInNotebook = 'lakebook:query-dataset-in-notebook';
  export const uploadFile = 'lakebook:upload-file';
  export const scheduleNotebook = 'lakebook:schedule-notebook';
  export const pauseSchedule = 'lakebook:pause-schedule';
  export const resumeSchedule = 'lakebook:resume-schedule';
  export const deleteSchedule = 'lakebook:delete-schedule';
}

/**
 * The palette category of every lakebook command.
 */
export const COMMAND_CATEGORY = 'Lakebook';

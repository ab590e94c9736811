import { ISettingRegistry } from '@jupyterlab/settingregistry';

/**
 * The panel's settings (schema/plugin.json), applied live when the user edits them.
 */
export interface IPanelSettings {
  runsPageSize: number;
  statusIntervalSeconds: number;
  runsRefreshSeconds: number;
  followRunsLive: boolean;
  livePollSeconds: number;
  defaultFlow: string;
}

export const DEFAULT_SETTINGS: IPanelSettings = {
  runsPageSize: 20,
  statusIntervalSeconds: 30,
  runsRefreshSeconds: 30,
  followRunsLive: true,
  livePollSeconds: 5,
  defaultFlow: ''
};

/**
 * The composite values (user over defaults), each checked for its type.
 */
export function readSettings(
  settings: ISettingRegistry.ISettings
): IPanelSettings {
  const value = <K extends keyof IPanelSettings>(key: K): IPanelSettings[K] => {
    const composite = settings.get(key).composite;
    return typeof composite === typeof DEFAULT_SETTINGS[key]
      ? (composite as IPanelSettings[K])
      : DEFAULT_SETTINGS[key];
  };
  return {
    runsPageSize: value('runsPageSize'),
    statusIntervalSeconds: value('statusIntervalSeconds'),
    runsRefreshSeconds: value('runsRefreshSeconds'),
    followRunsLive: value('followRunsLive'),
    livePollSeconds: value('livePollSeconds'),
    defaultFlow: value('defaultFlow')
  };
}

import { Token } from '@lumino/coreutils';
import { ISignal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

/**
 * The lakebook side panel, for plugins that add a section to it (runs, lake, schedules).
 */
export interface ILakebookPanel {
  /**
   * Add a section (a ReactWidget with a `title.label`) to the panel; lower ranks come first.
   */
  addSection(widget: Widget, options?: { rank?: number }): void;

  /**
   * The signed-in user, or null while signed out or unknown.
   */
  readonly user: ILakebookPanel.IUser | null;

  /**
   * Emitted when the user signs in or out, or the gateway comes back (sections refresh).
   */
  readonly sessionChanged: ISignal<ILakebookPanel, ILakebookPanel.IUser | null>;
}

export namespace ILakebookPanel {
  export interface IUser {
    name: string;
    role: 'admin' | 'analyst' | 'viewer';
  }
}

export const ILakebookPanel = new Token<ILakebookPanel>(
  'lakebook:ILakebookPanel',
  'The lakebook side panel: add sections, follow the session.'
);

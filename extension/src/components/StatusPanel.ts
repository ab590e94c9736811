import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { requestAPI } from '../api/request';
import { IStatus } from '../tokens';

/**
 * Function used by the panel to fetch the status (injectable for tests).
 */
export type StatusFetcher = () => Promise<IStatus>;

/**
 * Sidebar panel showing the lakebook gateway URL and whether it is reachable.
 */
export class StatusPanel extends Widget {
  constructor(options: StatusPanel.IOptions = {}) {
    super();
    this._fetchStatus =
      options.fetchStatus ?? (() => requestAPI<IStatus>('status'));
    this.addClass('jp-lakebook-StatusPanel');

    const title = document.createElement('h2');
    title.className = 'jp-lakebook-StatusPanel-title';
    title.textContent = 'Lakebook';

    const list = document.createElement('dl');
    list.className = 'jp-lakebook-StatusPanel-list';
    list.append(
      StatusPanel.term('Gateway'),
      this._urlNode,
      StatusPanel.term('Reachable'),
      this._okNode
    );

    this._errorNode.className = 'jp-lakebook-StatusPanel-error';
    this._errorNode.hidden = true;

    this._refreshButton.className = 'jp-lakebook-StatusPanel-refresh';
    this._refreshButton.type = 'button';
    this._refreshButton.textContent = 'Refresh';
    this._refreshButton.addEventListener('click', () => {
      void this.refresh();
    });

    this.node.append(title, list, this._errorNode, this._refreshButton);
    this._render(null);
  }

  /**
   * The last status received, or null if none yet.
   */
  get status(): IStatus | null {
    return this._status;
  }

  /**
   * Fetch the status from the server extension and re-render.
   */
  async refresh(): Promise<void> {
    this._refreshButton.disabled = true;
    try {
      this._status = await this._fetchStatus();
      this._error = null;
    } catch (reason) {
      this._status = null;
      this._error = reason instanceof Error ? reason.message : String(reason);
    } finally {
      this._refreshButton.disabled = false;
    }
    this._render(this._error);
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this.refresh();
  }

  private _render(error: string | null): void {
    const status = this._status;
    this._urlNode.textContent = status ? status.gateway_url : '—';
    this._okNode.textContent = status
      ? status.gateway_ok
        ? 'yes'
        : 'no'
      : 'unknown';
    this._okNode.dataset.state = status
      ? status.gateway_ok
        ? 'ok'
        : 'down'
      : 'unknown';
    this._errorNode.textContent = error ?? '';
    this._errorNode.hidden = error === null;
  }

  private _fetchStatus: StatusFetcher;
  private _status: IStatus | null = null;
  private _error: string | null = null;
  private _urlNode = StatusPanel.value('jp-lakebook-StatusPanel-url');
  private _okNode = StatusPanel.value('jp-lakebook-StatusPanel-ok');
  private _errorNode = document.createElement('div');
  private _refreshButton = document.createElement('button');
}

/**
 * A namespace for StatusPanel statics.
 */
export namespace StatusPanel {
  /**
   * Options of the status panel.
   */
  export interface IOptions {
    /**
     * Override how the status is fetched (defaults to `GET /lakebook/status`).
     */
    fetchStatus?: StatusFetcher;
  }

  /**
   * Create a definition-list term.
   */
  export function term(text: string): HTMLElement {
    const node = document.createElement('dt');
    node.textContent = text;
    return node;
  }

  /**
   * Create a definition-list value with a class.
   */
  export function value(className: string): HTMLElement {
    const node = document.createElement('dd');
    node.className = className;
    return node;
  }
}

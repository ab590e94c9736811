import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { requestAPI } from '../api/request';
import { IDeployment, ILaunched, IRun } from '../tokens';

/**
 * Prefect state types after which a run never changes.
 */
const FINAL_STATES = new Set(['COMPLETED', 'FAILED', 'CRASHED', 'CANCELLED']);

/**
 * How often, and at most how many times, a launched run is polled for its state.
 */
const POLL_INTERVAL_MS = 1000;
const MAX_POLLS = 900;

/**
 * Sidebar section listing the gateway's flows, launching them and following the runs.
 */
export class FlowsPanel extends Widget {
  constructor() {
    super();
    this.addClass('jp-lakebook-FlowsPanel');

    const flowsTitle = document.createElement('h3');
    flowsTitle.textContent = 'Flows';
    this._flowList.className = 'jp-lakebook-FlowsPanel-flows';

    const paramsLabel = document.createElement('label');
    paramsLabel.textContent = 'Parameters (JSON)';
    this._params.className = 'jp-lakebook-FlowsPanel-params';
    this._params.rows = 3;
    this._params.value = '{}';
    this._params.spellcheck = false;
    paramsLabel.append(this._params);

    this._errorNode.className = 'jp-lakebook-FlowsPanel-error';
    this._errorNode.setAttribute('role', 'alert');
    this._errorNode.hidden = true;

    const runsTitle = document.createElement('h3');
    runsTitle.textContent = 'Runs';
    this._runList.className = 'jp-lakebook-FlowsPanel-runs';

    this.node.append(
      flowsTitle,
      this._flowList,
      paramsLabel,
      this._errorNode,
      runsTitle,
      this._runList
    );
  }

  /**
   * Reload the flows and the user's latest runs.
   */
  async refresh(): Promise<void> {
    try {
      const [deployments, runs] = await Promise.all([
        requestAPI<IDeployment[]>('deployments'),
        requestAPI<IRun[]>('runs')
      ]);
      this._renderFlows(deployments);
      for (const run of runs.slice().reverse()) {
        this._renderRun(run);
      }
      this._showError(null);
    } catch (reason) {
      this._renderFlows([]);
      this._showError(reason);
    }
  }

  /**
   * Launch a flow with the parameters typed in the panel, then follow the run.
   */
  async launch(flowName: string): Promise<void> {
    let parameters: unknown;
    try {
      parameters = JSON.parse(this._params.value || '{}');
    } catch (error) {
      this._showError(`parameters are not valid JSON: ${String(error)}`);
      return;
    }
    try {
      const launched = await requestAPI<ILaunched>(
        `flows/${encodeURIComponent(flowName)}/execute`,
        { method: 'POST', body: JSON.stringify({ parameters }) }
      );
      this._showError(null);
      this._renderRun({
        run_id: launched.run_id,
        flow_name: flowName,
        state: launched.state,
        state_name: launched.state,
        created_at: new Date().toISOString()
      });
      void this._follow(launched.run_id);
    } catch (reason) {
      this._showError(reason);
    }
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this.refresh();
  }

  private async _follow(runId: string): Promise<void> {
    for (let poll = 0; poll < MAX_POLLS && !this.isDisposed; poll++) {
      await new Promise(resolve => setTimeout(resolve, POLL_INTERVAL_MS));
      let run: IRun;
      try {
        run = await requestAPI<IRun>(`runs/${encodeURIComponent(runId)}`);
      } catch (reason) {
        this._showError(reason);
        continue;
      }
      this._renderRun(run);
      if (FINAL_STATES.has(run.state)) {
        return;
      }
    }
  }

  private _renderFlows(deployments: IDeployment[]): void {
    this._flowList.replaceChildren(
      ...deployments.map(deployment => {
        const item = document.createElement('li');
        item.dataset.flow = deployment.name;
        const name = document.createElement('span');
        name.className = 'jp-lakebook-FlowsPanel-flowName';
        name.textContent = deployment.name;
        name.title = deployment.description ?? '';
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'jp-lakebook-FlowsPanel-launch';
        button.textContent = 'Launch';
        button.title = `Launch ${deployment.name}`;
        button.addEventListener('click', () => {
          button.disabled = true;
          void this.launch(deployment.name).finally(() => {
            button.disabled = false;
          });
        });
        item.append(name, button);
        return item;
      })
    );
  }

  private _renderRun(run: IRun): void {
    let item = this._runList.querySelector<HTMLElement>(
      `li[data-run-id="${CSS.escape(run.run_id)}"]`
    );
    if (!item) {
      item = document.createElement('li');
      item.dataset.runId = run.run_id;
      const name = document.createElement('span');
      name.className = 'jp-lakebook-FlowsPanel-runFlow';
      name.textContent = run.flow_name;
      name.title = run.run_id;
      const state = document.createElement('span');
      state.className = 'jp-lakebook-FlowsPanel-runState';
      item.append(name, state);
      this._runList.prepend(item);
    }
    const state = item.querySelector<HTMLElement>(
      '.jp-lakebook-FlowsPanel-runState'
    )!;
    state.textContent = run.state_name;
    state.dataset.state = run.state;
  }

  private _showError(reason: unknown): void {
    if (reason === null) {
      this._errorNode.textContent = '';
      this._errorNode.hidden = true;
      return;
    }
    this._errorNode.textContent =
      reason instanceof Error ? reason.message : String(reason);
    this._errorNode.hidden = false;
  }

  private _flowList = document.createElement('ul');
  private _params = document.createElement('textarea');
  private _errorNode = document.createElement('div');
  private _runList = document.createElement('ul');
}

import { IDeployment, ILaunched, IRun } from '../tokens';
import { requestAPI } from './request';

/**
 * `GET /lakebook/deployments`: the flows the user can launch.
 */
export function listDeployments(): Promise<IDeployment[]> {
  return requestAPI<IDeployment[]>('deployments');
}

/**
 * `GET /lakebook/runs`: one page of the user's runs from every source, newest first.
 */
export function listRuns(page: {
  limit: number;
  offset: number;
  flow?: string;
}): Promise<IRun[]> {
  const query = new URLSearchParams({
    limit: String(page.limit),
    offset: String(page.offset)
  });
  if (page.flow) {
    query.set('flow', page.flow);
  }
  return requestAPI<IRun[]>(`runs?${query.toString()}`);
}

/**
 * `POST /lakebook/flows/{name}/execute`; a 422 rejects with a `LakebookResponseError` whose
 * `fields` name the bad parameters.
 */
export function launchFlow(
  flowName: string,
  parameters: Record<string, unknown>
): Promise<ILaunched> {
  return requestAPI<ILaunched>(
    `flows/${encodeURIComponent(flowName)}/execute`,
    { method: 'POST', body: JSON.stringify({ parameters }) }
  );
}

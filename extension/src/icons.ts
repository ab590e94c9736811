import { LabIcon } from '@jupyterlab/ui-components';

const lakebookSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M4 3h11a3 3 0 0 1 3 3v12H7a3 3 0 0 0-3 3z"/>
    <path d="M2 20c2-1.5 4-1.5 6 0s4 1.5 6 0 4-1.5 6 0 2 1 2 1v2s-1-1-2-1.5c-2-1.5-4-1.5-6 0s-4 1.5-6 0-4-1.5-6 0z"/>
  </g>
</svg>`;

/**
 * Sidebar icon of the lakebook panel.
 */
export const lakebookIcon = new LabIcon({
  name: 'lakebook:icon',
  svgstr: lakebookSvg
});

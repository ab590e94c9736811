import { LabIcon } from '@jupyterlab/ui-components';

// A cylinder: the usual sign for a data store.
const lakeSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M12 2C7.6 2 4 3.3 4 5v14c0 1.7 3.6 3 8 3s8-1.3 8-3V5c0-1.7-3.6-3-8-3zm0 2c3.9 0 6 1.1 6 1s-2.1 1-6 1-6-.9-6-1 2.1-1 6-1zM6 7.3C7.5 7.8 9.6 8 12 8s4.5-.2 6-.7V11c0 .3-2.1 1-6 1s-6-.7-6-1zm0 6C7.5 13.8 9.6 14 12 14s4.5-.2 6-.7V19c0 .3-2.1 1-6 1s-6-.7-6-1z"/>
  </g>
</svg>`;

/**
 * Icon of the lake section and of dataset views.
 */
export const lakeIcon = new LabIcon({
  name: 'lakebook:lake',
  svgstr: lakeSvg
});

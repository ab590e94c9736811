import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

import { formatBytes, formatProgress } from './format';

/**
 * Where an upload stands; shown in one place, progress and errors alike.
 */
export type UploadState =
  | { phase: 'idle' }
  | { phase: 'sending'; filename: string; sent: number; total: number }
  | { phase: 'uploaded'; filename: string; bytes: number; key: string }
  | { phase: 'failed'; filename: string; message: string }
  | { phase: 'ingested'; filename: string; dataset: string };

export interface IUploadAreaProps {
  trans: TranslationBundle;
  state: UploadState;
  accept: string;
  onFile: (file: File) => void;
  onIngest: () => void;
  /**
   * The hidden file input, which the upload command clicks.
   */
  inputRef: React.RefObject<HTMLInputElement>;
}

/**
 * The upload part of the lake section: a drop zone, a file picker button and the status of
 * the last upload with its "Ingest…" action.
 */
export function UploadArea(props: IUploadAreaProps): JSX.Element {
  const { trans, state } = props;
  const [dragging, setDragging] = React.useState(false);
  const sending = state.phase === 'sending';

  const onDrop = (event: React.DragEvent) => {
    event.preventDefault();
    setDragging(false);
    const file = event.dataTransfer.files[0];
    if (file && !sending) {
      props.onFile(file);
    }
  };

  return (
    <div
      className="jp-lakebook-Lake-upload"
      data-dragging={dragging ? 'true' : undefined}
      onDragOver={event => {
        if (Array.from(event.dataTransfer.types).includes('Files')) {
          event.preventDefault();
          event.dataTransfer.dropEffect = 'copy';
          setDragging(true);
        }
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
    >
      <div className="jp-lakebook-Lake-dropHint">
        {trans.__('Drop a CSV, JSON lines or Parquet file here, or')}{' '}
        <Button
          small
          className="jp-lakebook-Lake-pick jp-mod-styled"
          disabled={sending}
          onClick={() => props.inputRef.current?.click()}
        >
          {trans.__('Choose a file…')}
        </Button>
      </div>
      <input
        ref={props.inputRef}
        className="jp-lakebook-Lake-fileInput"
        type="file"
        accept={props.accept}
        hidden
        onChange={event => {
          const file = event.currentTarget.files?.[0];
          // Cleared so choosing the same file again uploads it again.
          event.currentTarget.value = '';
          if (file) {
            props.onFile(file);
          }
        }}
      />
      <UploadStatus trans={trans} state={state} onIngest={props.onIngest} />
    </div>
  );
}

function UploadStatus(props: {
  trans: TranslationBundle;
  state: UploadState;
  onIngest: () => void;
}): JSX.Element | null {
  const { trans, state } = props;
  switch (state.phase) {
    case 'idle':
      return null;
    case 'sending':
      return (
        <div className="jp-lakebook-Lake-uploadStatus" role="status">
          <span>
            {trans.__(
              'Uploading %1: %2',
              state.filename,
              formatProgress(state.sent, state.total)
            )}
          </span>
          <progress max={state.total || 1} value={state.sent} />
        </div>
      );
    case 'uploaded':
      return (
        <div
          className="jp-lakebook-Lake-uploadStatus"
          role="status"
          data-phase="uploaded"
        >
          <span>
            {trans.__(
              'Uploaded %1 (%2)',
              state.filename,
              formatBytes(state.bytes)
            )}
          </span>
          <Button
            small
            className="jp-lakebook-Lake-ingest jp-mod-styled jp-mod-accept"
            onClick={props.onIngest}
          >
            {trans.__('Ingest…')}
          </Button>
        </div>
      );
    case 'ingested':
      return (
        <div
          className="jp-lakebook-Lake-uploadStatus"
          role="status"
          data-phase="ingested"
        >
          {trans.__('Ingested %1 as %2', state.filename, state.dataset)}
        </div>
      );
    case 'failed':
      return (
        <div
          className="jp-lakebook-Lake-uploadStatus jp-lakebook-Lake-error"
          role="alert"
          data-phase="failed"
        >
          {trans.__('Upload of %1 failed: %2', state.filename, state.message)}
        </div>
      );
  }
}

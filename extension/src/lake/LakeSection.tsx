import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import {
  Button,
  InputGroup,
  ReactWidget,
  refreshIcon
} from '@jupyterlab/ui-components';
import { Signal } from '@lumino/signaling';
import * as React from 'react';

import { IDatasetOut, IUploadOut, listDatasets } from '../api/lake';
import { filterDatasets } from './filter';
import { formatTimestamp } from './format';
import { IngestForm } from './IngestForm';
import {
  ACCEPT_ATTRIBUTE,
  buildUploadRequest,
  refuseBeforeSending,
  sendUpload
} from './upload';
import { UploadArea, UploadState } from './UploadArea';

export interface ILakeSectionOptions {
  trans: TranslationBundle;
  openDataset: (name: string) => void;
  /**
   * Opens a run's detail, when some plugin registers `CommandIDs.openRun`.
   */
  openRun: (runId: string) => void;
  canOpenRun: () => boolean;
}

/**
 * The "Lake" section of the lakebook panel: the published datasets with a filter, and
 * uploads by drop or file picker, each followed by an ingest form.
 */
export class LakeSection extends ReactWidget {
  constructor(private readonly _options: ILakeSectionOptions) {
    super();
    this.addClass('jp-lakebook-Lake');
    this.title.label = _options.trans.__('Lake');
    this.title.caption = _options.trans.__('Datasets in the lake');
  }

  /**
   * Reload the datasets.
   */
  refresh(): void {
    this._refreshRequested.emit();
  }

  /**
   * Open the file picker to upload a file.
   */
  pickFile(): void {
    this._fileInput.current?.click();
  }

  /**
   * Focus the filter box.
   */
  focusFilter(): void {
    this.node.querySelector<HTMLInputElement>('input[type="search"]')?.focus();
  }

  protected render(): JSX.Element {
    return (
      <LakeBrowser
        {...this._options}
        refreshRequested={this._refreshRequested}
        fileInput={this._fileInput}
      />
    );
  }

  private _refreshRequested = new Signal<this, void>(this);
  private _fileInput = React.createRef<HTMLInputElement>();
}

interface ILakeBrowserProps extends ILakeSectionOptions {
  refreshRequested: Signal<LakeSection, void>;
  fileInput: React.RefObject<HTMLInputElement>;
}

function LakeBrowser(props: ILakeBrowserProps): JSX.Element {
  const { trans } = props;
  const [datasets, setDatasets] = React.useState<IDatasetOut[] | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [query, setQuery] = React.useState('');
  const [upload, setUpload] = React.useState<UploadState>({ phase: 'idle' });
  const [ingesting, setIngesting] = React.useState<{
    upload: IUploadOut;
    filename: string;
  } | null>(null);
  const lastUpload = React.useRef<{ upload: IUploadOut; filename: string }>();

  const load = React.useCallback(async () => {
    try {
      setDatasets(await listDatasets());
      setError(null);
    } catch (reason) {
      setError((reason as Error).message);
    }
  }, []);

  React.useEffect(() => {
    void load();
    const reload = () => void load();
    props.refreshRequested.connect(reload);
    return () => {
      props.refreshRequested.disconnect(reload);
    };
  }, [load]);

  const onFile = async (file: File) => {
    const refused = refuseBeforeSending(file);
    if (refused) {
      setUpload({ phase: 'failed', filename: file.name, message: refused });
      return;
    }
    setIngesting(null);
    setUpload({
      phase: 'sending',
      filename: file.name,
      sent: 0,
      total: file.size
    });
    const request = buildUploadRequest(
      file,
      file.name,
      ServerConnection.makeSettings(),
      document.cookie
    );
    const outcome = await sendUpload(request, (sent, total) =>
      setUpload({ phase: 'sending', filename: file.name, sent, total })
    );
    if ('error' in outcome) {
      setUpload({
        phase: 'failed',
        filename: file.name,
        message: outcome.error
      });
      return;
    }
    lastUpload.current = { upload: outcome.upload, filename: file.name };
    setUpload({
      phase: 'uploaded',
      filename: file.name,
      bytes: outcome.upload.bytes,
      key: outcome.upload.key
    });
  };

  const shown = datasets ? filterDatasets(datasets, query) : [];
  return (
    <div className="jp-lakebook-Lake-body">
      <UploadArea
        trans={trans}
        state={upload}
        accept={ACCEPT_ATTRIBUTE}
        inputRef={props.fileInput}
        onFile={file => void onFile(file)}
        onIngest={() => setIngesting(lastUpload.current ?? null)}
      />
      {ingesting && (
        <IngestForm
          key={ingesting.upload.key}
          trans={trans}
          upload={ingesting.upload}
          filename={ingesting.filename}
          onOpenRun={props.canOpenRun() ? props.openRun : undefined}
          onClose={() => setIngesting(null)}
          onIngested={dataset => {
            setUpload({
              phase: 'ingested',
              filename: ingesting.filename,
              dataset
            });
            void load();
            if (dataset) {
              props.openDataset(dataset);
            }
          }}
        />
      )}
      <div className="jp-lakebook-Lake-toolbar">
        <InputGroup
          type="search"
          className="jp-lakebook-Lake-filter"
          placeholder={trans.__('Filter datasets')}
          aria-label={trans.__('Filter datasets')}
          value={query}
          onChange={event => setQuery(event.currentTarget.value)}
        />
        <Button
          small
          minimal
          title={trans.__('Reload the datasets')}
          aria-label={trans.__('Reload the datasets')}
          onClick={() => void load()}
        >
          <refreshIcon.react tag="span" />
        </Button>
      </div>
      {error && (
        <div className="jp-lakebook-Lake-error" role="alert">
          {error}
        </div>
      )}
      {datasets === null && !error && (
        <div className="jp-lakebook-Lake-empty">{trans.__('Loading…')}</div>
      )}
      {datasets !== null && shown.length === 0 && (
        <div className="jp-lakebook-Lake-empty">
          {datasets.length === 0
            ? trans.__('No dataset is published yet.')
            : trans.__('No dataset matches "%1".', query)}
        </div>
      )}
      <ul
        className="jp-lakebook-Lake-datasets"
        aria-label={trans.__('Datasets')}
      >
        {shown.map(dataset => (
          <li key={dataset.name} data-dataset={dataset.name}>
            <button
              type="button"
              className="jp-lakebook-Lake-dataset"
              title={trans.__('Open %1', dataset.name)}
              onClick={() => props.openDataset(dataset.name)}
            >
              <span className="jp-lakebook-Lake-datasetName">
                {dataset.name}
              </span>
              <span className="jp-lakebook-Lake-datasetMeta">
                {trans._n('%1 run', '%1 runs', dataset.run_count)}
                {' · '}
                {formatTimestamp(dataset.published_at)}
              </span>
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

import * as React from 'react';

import { PanelModel } from './model';

/**
 * Re-render a view whenever the panel model changes.
 */
export function useModel(model: PanelModel): void {
  const [, setVersion] = React.useState(0);
  React.useEffect(() => {
    const onChanged = () => setVersion(version => version + 1);
    model.changed.connect(onChanged);
    return () => {
      model.changed.disconnect(onChanged);
    };
  }, [model]);
}

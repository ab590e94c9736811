import { IDatasetOut } from '../api/lake';

/**
 * The datasets whose name contains every word of the query (case-insensitive), newest
 * publication first; an empty query keeps them all.
 */
export function filterDatasets(
  datasets: readonly IDatasetOut[],
  query: string
): IDatasetOut[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return datasets
    .filter(dataset => {
      const name = dataset.name.toLowerCase();
      return words.every(word => name.includes(word));
    })
    .sort(
      (a, b) =>
        Date.parse(b.published_at) - Date.parse(a.published_at) ||
        a.name.localeCompare(b.name)
    );
}

/**
 * Sizes and counts as the lake section shows them.
 */

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/**
 * Bytes in powers of 1024 with at most one decimal: `0 B`, `812 B`, `1.5 KB`, `12 MB`.
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) {
    return '?';
  }
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const text =
    unit === 0 || value >= 10 ? Math.round(value).toString() : value.toFixed(1);
  return `${text.replace(/\.0$/, '')} ${UNITS[unit]}`;
}

/**
 * An upload's progress: `340 KB of 1.2 MB (28%)`.
 */
export function formatProgress(sent: number, total: number): string {
  if (total <= 0) {
    return formatBytes(sent);
  }
  const percent = Math.min(100, Math.floor((sent / total) * 100));
  return `${formatBytes(sent)} of ${formatBytes(total)} (${percent}%)`;
}

/**
 * A row count with thousands separators: `1,234,567 rows`, `1 row`.
 */
export function formatRows(count: number): string {
  const digits = Math.trunc(count)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${digits} ${count === 1 ? 'row' : 'rows'}`;
}

/**
 * A cell of the preview table: null as `null`, objects as JSON, the rest as text.
 */
export function formatCell(value: unknown): string {
  if (value === null || value === undefined) {
    return 'null';
  }
  if (typeof value === 'object') {
    return JSON.stringify(value);
  }
  return String(value);
}

/**
 * The preview table's columns: the rows' own order (the table's), then any column of the
 * schema no row has. (Runs published before metadata.json kept the column order have their
 * schema's keys sorted, so the rows' order is the one to trust.)
 */
export function previewColumns(
  columns: Record<string, string>,
  rows: readonly Record<string, unknown>[]
): string[] {
  const ordered = rows.length > 0 ? Object.keys(rows[0]) : [];
  return [
    ...ordered,
    ...Object.keys(columns).filter(c => !ordered.includes(c))
  ];
}

/**
 * An ISO timestamp as the user's local date and time to the minute (`2026-12-07 14:05`).
 */
export function formatTimestamp(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return iso;
  }
  const pad = (n: number) => n.toString().padStart(2, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}`
  );
}

/**
 * The `Metric | Value` table of the streaming commands (export and import of changes), in the reference
 * tool's layout: dashed rules, names left-aligned, values right-aligned, e.g.
 *
 *   | -----------------------------  |  ----------------------------- |
 *   | Metric                         |                          Value |
 *   | -----------------------------  |  ----------------------------- |
 *   | Total Imported events          |                         272572 |
 *   | -----------------------------  |  ----------------------------- |
 */
export interface MetricsTableLayout {
  /** Width of the first cell between the bars, spaces included (32 in the import table, 42 in the export one). */
  nameCell?: number;
  /** Width of the second cell between the bars (32 in both). */
  valueCell?: number;
}

export function renderMetricsTable(rows: readonly (readonly [string, string])[], layout: MetricsTableLayout = {}): string {
  const longestName = Math.max(6, ...rows.map(([n]) => n.length));
  const longestValue = Math.max(5, ...rows.map(([, v]) => v.length));
  const nameCell = Math.max(layout.nameCell ?? 32, longestName + 2);
  const valueCell = Math.max(layout.valueCell ?? 32, longestValue + 2);
  const rule = `| ${'-'.repeat(nameCell - 3)}  |  ${'-'.repeat(valueCell - 3)} |`;
  const line = (name: string, value: string) => `| ${name.padEnd(nameCell - 1)}|${value.padStart(valueCell - 1)} |`;
  return [rule, line('Metric', 'Value'), rule, ...rows.map(([n, v]) => line(n, v)), rule].join('\n');
}

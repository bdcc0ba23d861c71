/** Renders the schema analysis report in the format the user asked for. */
import type { SchemaAnalysisReport } from '../../core/schema-analysis/report.js';
import { renderHtmlReport } from './html.js';
import { renderTextReport } from './txt.js';
import { renderXmlReport } from './xml.js';

export const REPORT_FORMATS = ['html', 'txt', 'json', 'xml'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export function renderSchemaReport(report: SchemaAnalysisReport, format: ReportFormat): string {
  switch (format) {
    case 'json':
      return JSON.stringify(report, null, 2) + '\n';
    case 'html':
      return renderHtmlReport(report);
    case 'txt':
      return renderTextReport(report);
    case 'xml':
      return renderXmlReport(report);
  }
}

import fs from 'node:fs';
import { IMPORT_FORMATS, importFile, type ImportFormat, type ImportSummary } from '../../app/import-file.js';
import type { Store } from '../../store/database.js';
import { eventStore } from '../../store/event-repository.js';
import { importRunStore } from '../../store/import-run-repository.js';
import { settingsStore } from '../../store/settings-repository.js';
import { print, UsageError } from '../context.js';
import { progressBar } from '../progress.js';

export function parseFormat(raw: string): ImportFormat {
  if (!(IMPORT_FORMATS as readonly string[]).includes(raw)) {
    throw new UsageError(`--format: "${raw}" is not one of ${IMPORT_FORMATS.join(', ')}`);
  }
  return raw as ImportFormat;
}

/** Imports a file with a progress bar; writes rejects next to it; returns the summary. */
export async function runImport(
  store: Store,
  file: string,
  format: ImportFormat,
  options: { rejectsPath?: string; quiet?: boolean } = {},
): Promise<ImportSummary> {
  if (!fs.existsSync(file)) throw new UsageError(`${file}: no such file`);
  const bar = progressBar('import', 'bytes');
  const summary = await importFile({
    path: file,
    format,
    events: eventStore(store),
    runs: importRunStore(store),
    currency: await settingsStore(store).currencySettings(),
    now: () => new Date(),
    onProgress: (done, total) => bar.update(done, total),
  }).finally(() => bar.stop());
  const rejectsPath = options.rejectsPath ?? `${file}.rejects.jsonl`;
  if (summary.rejects.length > 0) {
    fs.writeFileSync(rejectsPath, summary.rejects.map((r) => JSON.stringify(r)).join('\n') + '\n');
  }
  if (!options.quiet) printImportSummary(summary, rejectsPath);
  return summary;
}

export function printImportSummary(s: ImportSummary, rejectsPath: string): void {
  if (s.alreadyImported)
    print(`This file was already imported in full (run ${s.runId}); nothing was imported again.`);
  else if (s.resumedFromLine > 0)
    print(`Resumed after line ${s.resumedFromLine} (an earlier run committed those).`);
  print(
    `${s.lines.toLocaleString('en-US')} lines: ${s.accepted.toLocaleString('en-US')} events stored, ` +
      `${s.duplicates.toLocaleString('en-US')} already stored, ${s.rejected.toLocaleString('en-US')} rejected.`,
  );
  if (s.rejected > 0) print(`Rejected lines, with line number and reason: ${rejectsPath}`);
}

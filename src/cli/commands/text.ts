/**
 * `patron text analyze FILE|-` (one text per line in, one JSON object per line out),
 * `patron text analyze-store` (analyse the store's reviews, tickets and survey comments) and
 * `patron text themes` (theme trends by month, per product, and the complaints that rose).
 */
import fs from 'node:fs';
import readline from 'node:readline';
import { analyzeStoreTexts, themesQuerySchema, themesReport, type ThemesReport } from '../../app/text.js';
import { textAnalyzer } from '../../app/text-analyzer.js';
import type { Store } from '../../store/database.js';
import { textStore } from '../../store/text-repository.js';
import { print, UsageError } from '../context.js';

/** Analyses each line of `file` (`-`: standard input) and writes one JSON object per line. */
export async function runTextAnalyze(
  file: string,
  output: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  if (file !== '-' && !fs.existsSync(file)) throw new UsageError(`${file}: no such file`);
  const input = file === '-' ? process.stdin : fs.createReadStream(file, { encoding: 'utf8' });
  const analyzer = textAnalyzer();
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  let buffer: string[] = [];
  let count = 0;
  const flush = async (): Promise<void> => {
    if (buffer.length === 0) return;
    const chunk = buffer.join('');
    buffer = [];
    if (!output.write(chunk)) await new Promise<void>((resolve) => output.once('drain', () => resolve()));
  };
  for await (const line of lines) {
    const a = analyzer.analyze(line);
    buffer.push(`${JSON.stringify({ score: a.score, label: a.label, themes: a.themes })}\n`);
    count++;
    if (buffer.length >= 1000) await flush();
  }
  await flush();
  return count;
}

export async function runTextAnalyzeStore(
  store: Store,
  flags: { json?: boolean },
  now: () => Date,
): Promise<void> {
  const summary = await analyzeStoreTexts(textStore(store), textAnalyzer(), {
    now,
    onProgress: (n) => {
      if (!flags.json && process.stderr.isTTY)
        process.stderr.write(`\ranalysed ${n.toLocaleString('en-US')} events`);
    },
  });
  if (!flags.json && process.stderr.isTTY) process.stderr.write('\n');
  if (flags.json) {
    print(JSON.stringify(summary, null, 2));
    return;
  }
  const rate = summary.seconds > 0 ? Math.round(summary.analyzed / summary.seconds) : 0;
  print(
    `Analysed ${summary.analyzed.toLocaleString('en-US')} new texts (${summary.withoutText.toLocaleString('en-US')} events without text) in ${summary.seconds.toFixed(1)} s — ${rate.toLocaleString('en-US')} texts/s.`,
  );
}

export interface ThemesFlags {
  product?: string;
  theme?: string;
  source?: string;
  from?: string;
  to?: string;
  json?: boolean;
}

export async function runTextThemes(store: Store, flags: ThemesFlags, now: Date): Promise<ThemesReport> {
  const { json, ...rest } = flags;
  const query = themesQuerySchema.safeParse(
    Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)),
  );
  if (!query.success) {
    const i = query.error.issues[0];
    throw new UsageError(`--${String(i?.path[0] ?? 'query')} ${i?.message ?? 'is invalid'}`);
  }
  const report = await themesReport(textStore(store), query.data, now);
  if (!report.ok) throw new UsageError(`--${report.error.path} ${report.error.message}`);
  const r = report.value;
  if (json) {
    print(JSON.stringify(r, null, 2));
    return r;
  }
  print(`Themes${r.product ? ` of product ${r.product}` : ''}, ${r.from} to ${r.to}: negative / mentions`);
  const months = r.themes[0]?.months.map((m) => m.month) ?? [];
  print(['theme'.padEnd(12), ...months.map((m) => m.padStart(9))].join(' '));
  for (const t of r.themes) {
    print(
      [
        t.theme.padEnd(12),
        ...t.months.map((m) => (m.mentions === 0 ? '·' : `${m.negative}/${m.mentions}`).padStart(9)),
      ].join(' '),
    );
  }
  if (r.themes.length === 0) print('(no analysed texts in this range — run `patron text analyze-store`)');
  print();
  if (r.rising.length === 0) print(`No complaints rose beyond chance in ${r.to}.`);
  for (const x of r.rising.slice(0, 20)) print(`▲ ${x.text} (z = ${x.z})`);
  return r;
}

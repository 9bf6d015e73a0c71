/** Progress bars on a terminal; a line every 10% when the output is not a terminal (CI, logs). */
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

export function progressBar(label: string, unit: 'bytes' | 'items' = 'items'): Progress {
  const fmt = (n: number) => (unit === 'bytes' ? `${(n / 1e6).toFixed(1)} MB` : n.toLocaleString('en-US'));
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label.padEnd(10)} [{bar}] {percentage}% | {doneF} / {totalF} | {eta_formatted} left`,
        hideCursor: true,
        stream: process.stderr,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(done, total) {
        if (!started) {
          bar.start(total, 0, { doneF: fmt(0), totalF: fmt(total) });
          started = true;
        }
        bar.setTotal(total);
        bar.update(done, { doneF: fmt(done), totalF: fmt(total) });
      },
      stop: () => {
        if (started) bar.stop();
      },
    };
  }
  let lastDecile = -1;
  return {
    update(done, total) {
      const decile = total > 0 ? Math.floor((done / total) * 10) : 10;
      if (decile > lastDecile) {
        lastDecile = decile;
        process.stderr.write(`${label}: ${decile * 10}% (${fmt(done)} of ${fmt(total)})\n`);
      }
    },
    stop: () => {},
  };
}

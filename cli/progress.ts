import cliProgress from 'cli-progress';

export interface ItemsBar {
  /** Items done so far, and the total when the remote tells. */
  update(done: number, total?: number | null): void;
  stop(): void;
}

/**
 * A bar with items/s on stderr. Without a known total it still counts (the total follows the count),
 * since most listings only announce theirs on the first page, if at all.
 */
export function itemsBar(label: string): ItemsBar {
  const started = Date.now();
  const bar = new cliProgress.SingleBar({
    stream: process.stderr,
    format: `${label} [{bar}] {value}/{total} items | {speed} items/s | {duration_formatted}`,
    hideCursor: true,
    clearOnComplete: false,
    etaBuffer: 50,
  }, cliProgress.Presets.shades_classic);
  let knownTotal: number | null = null;
  bar.start(0, 0, { speed: '0' });
  return {
    update(done, total) {
      if (typeof total === 'number' && total > 0) knownTotal = total;
      const speed = (done / Math.max((Date.now() - started) / 1000, 0.001)).toFixed(0);
      bar.setTotal(Math.max(knownTotal ?? done, done));
      bar.update(done, { speed });
    },
    stop: () => bar.stop(),
  };
}

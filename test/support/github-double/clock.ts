/** The double's clock: real time by default, or frozen and moved by hand so tests control `updated_at`. */

export const floorSec = (ms: number): number => Math.floor(ms / 1000) * 1000;
export const toMs = (t: Date | string | number): number => (t instanceof Date ? t.getTime() : typeof t === 'string' ? Date.parse(t) : t);

export function createClock(start: number | undefined) {
  let frozen = start;
  let offset = 0;
  let lastStamp = 0;
  const now = (): number => frozen ?? Date.now() + offset;
  return {
    now,
    set: (t: Date | string | number): void => { frozen = toMs(t); },
    advance: (ms: number): void => { if (frozen === undefined) offset += ms; else frozen += ms; },
    useRealTime: (): void => { frozen = undefined; offset = 0; },
    /** GitHub stamps whole seconds; every change gets a later second than any before, so `since` never misses one. */
    stamp: (): number => (lastStamp = Math.max(floorSec(now()), lastStamp + 1000)),
    observe: (t: number): void => { lastStamp = Math.max(lastStamp, t); },
  };
}
export type Clock = ReturnType<typeof createClock>;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

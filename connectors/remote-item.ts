import type { RemoteItem } from './types';

/** The item a write returned, with what the write had to change or leave out (RemoteItem.warnings). */
export const withWarnings = (item: RemoteItem, warnings: string[]): RemoteItem => (warnings.length ? { ...item, warnings } : item);

import type { Context } from 'hono';
import type { SessionView } from './api-types';
import type { ApiCall, ApiFetcher } from './client';

/** Who is signed in: GET /session's answer. */
export type ConsoleSession = SessionView;

export interface ConsoleOptions {
  /** The API app the console calls in-process. */
  api: ApiFetcher;
  /** Where the Temporal UI is, for links filtered by BindingId; no link without it. */
  temporalUiUrl?: string;
  temporalNamespace?: string;
}

export interface ConsoleEnv {
  Variables: { session: ConsoleSession; call: ApiCall };
}

export type ConsoleContext = Context<ConsoleEnv>;

/** The console's own paths, all under /ui. */
export const ui = (path = '') => `/ui${path}`;

/** A redirect after a form post, carrying one line for the next page to show. */
export function back(c: Context, path: string, message: { notice?: string; error?: string }) {
  const url = new URL(path, 'http://x');
  if (message.notice) url.searchParams.set('notice', message.notice);
  if (message.error) url.searchParams.set('error', message.error);
  return c.redirect(`${url.pathname}${url.search}${url.hash}`, 303);
}

export const canWrite = (c: ConsoleContext) => c.get('session').role === 'admin';

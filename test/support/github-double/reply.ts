/** The shape of a routed call and its reply: GitHub's error bodies, fault replies and Link pagination. */
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Fault } from './faults';

const DOCS = 'https://docs.github.com/rest';
const SECONDARY_MESSAGE = 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ';

export interface Reply { status: number; body?: unknown; headers?: Record<string, string>; charge: boolean }
export interface Call { method: string; url: URL; base: string; body: unknown; headers: IncomingHttpHeaders }
export type Handler = (call: Call, params: string[]) => Reply;

export const ok = (body: unknown, status = 200, headers: Record<string, string> = {}): Reply => ({ status, body, headers, charge: true });
export const fail = (status: number, message: string, extra: object = {}): Reply => ({ status, body: { message, documentation_url: DOCS, ...extra }, charge: true });
export const validationFailed = (resource: string, field: string, code: string): Reply =>
  fail(422, 'Validation Failed', { errors: [{ resource, field, code }], status: '422' });

export function faultReply(fault: Fault): Reply {
  if (fault.kind === 'secondaryRateLimit') {
    const message = `${SECONDARY_MESSAGE}${randomBytes(4).toString('hex').toUpperCase()}.`;
    return { ...fail(fault.status ?? 403, message), headers: { 'retry-after': String(fault.retryAfter ?? 60) }, charge: false };
  }
  if (fault.kind === 'status') {
    const body = fault.body ?? { message: fault.status === 503 ? 'Service Unavailable' : 'Server Error' };
    return { status: fault.status, body, headers: fault.headers ?? {}, charge: false };
  }
  throw new Error(`fault ${fault.kind} has no reply`);
}

export function pageParams(url: URL): { page: number; perPage: number } {
  const perPage = Number.parseInt(url.searchParams.get('per_page') ?? '', 10);
  const page = Number.parseInt(url.searchParams.get('page') ?? '', 10);
  return { perPage: perPage > 0 ? Math.min(perPage, 100) : 30, page: page > 0 ? page : 1 };
}

/** GitHub's order is prev, next, last, first; a response that fits on one page has no Link at all. */
export function linkHeader(linkBase: URL, page: number, perPage: number, total: number): Record<string, string> {
  const last = Math.max(1, Math.ceil(total / perPage));
  if (last === 1 && page === 1) return {};
  const rel = (p: number, name: string): string => {
    const u = new URL(linkBase);
    u.searchParams.set('page', String(p));
    return `<${u.href}>; rel="${name}"`;
  };
  const links = [page > 1 ? rel(Math.min(page - 1, last), 'prev') : '', page < last ? rel(page + 1, 'next') : '',
    page < last ? rel(last, 'last') : '', page > 1 ? rel(1, 'first') : ''];
  return { link: links.filter(Boolean).join(', ') };
}

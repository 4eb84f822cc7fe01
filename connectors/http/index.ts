export { createHttpClient, defaultRetry } from './client';
export type { HttpClient, HttpClientOptions, HttpHooks, HttpMethod, HttpRequest, HttpResponse, RetryPolicy } from './client';
export { classifyResponse, classifyNetworkError, isRateLimited, parseRetryAfter, redact } from './classify';
export { Pacer, defaultPacing, pacerFor } from './pacer';
export type { PacingPolicy } from './pacer';
export { followLinks, paginateOffset, parseLinkHeader } from './paginate';
export type { LinkPage, OffsetOptions, OffsetPage } from './paginate';
export { isoSeconds, pullIncremental } from './incremental';
export type { IncrementalSource, ListingCursor, SourcePage, WatermarkCursor } from './incremental';

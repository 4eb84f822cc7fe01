import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import { assetRoutes } from './assets';
import { apiClient, type ApiFetcher } from './client';
import { type ConsoleEnv, type ConsoleOptions, type ConsoleSession, ui } from './context';
import { Page } from './layout';
import { signInRoutes } from './pages/sign-in';
import { homeRoutes } from './pages/home';
import { connectionRoutes } from './pages/connections';
import { wizardRoutes } from './pages/wizard';
import { bindingRoutes } from './pages/binding';
import { storyRoutes } from './pages/story';
import { runRoutes } from './pages/run';
import { pluginRoutes } from './pages/plugins';

export type { ConsoleOptions } from './context';

/**
 * The web console, mounted at /ui. Every page and action is a request to the API in-process with
 * the browser's session cookie, so the console can do nothing the API would not let that token do.
 */
export function createConsole(opts: ConsoleOptions) {
  const app = new Hono<ConsoleEnv>();
  app.use('*', async (c, next) => {
    // Pages are not to be framed (clickjacking) nor to load anything but their own assets.
    c.header('x-frame-options', 'DENY');
    c.header('content-security-policy', "default-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'");
    c.header('referrer-policy', 'same-origin');
    await next();
  });
  app.route('/assets', assetRoutes());
  // A form posted from another site is refused before anything runs, signed in or not.
  app.use('*', async (c, next) => {
    const origin = c.req.header('origin');
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && origin && origin !== new URL(c.req.url).origin) {
      return c.html(<Page c={null} title="Refused"><p class="error" role="alert">A form from another site cannot change anything here.</p></Page>, 403);
    }
    return next();
  });
  app.route('/', signInRoutes(opts));
  app.use('*', requireSession(opts.api));
  app.route('/', homeRoutes());
  app.route('/connections', connectionRoutes(opts));
  app.route('/bindings', wizardRoutes(opts));
  app.route('/bindings', bindingRoutes(opts));
  app.route('/stories', storyRoutes());
  app.route('/runs', runRoutes(opts));
  app.route('/plugins', pluginRoutes());
  return app;
}

/** Who is signed in (from the API), or the sign-in page; and on a write, the session's CSRF token from the form. */
function requireSession(api: ApiFetcher) {
  return createMiddleware<ConsoleEnv>(async (c, next) => {
    const answer = await apiClient(api, c)<ConsoleSession>('GET', '/session');
    if (answer.status === 401) return c.redirect(ui('/sign-in'), 303);
    if (answer.status === 429) {
      const wait = Math.max(1, Number(answer.headers.get('retry-after')) || 60);
      c.header('retry-after', String(wait));
      return c.html(<Page c={null} title="Too many requests"><p class="error" role="alert">Too many requests: try again in {wait} seconds.</p></Page>, 429);
    }
    if (!answer.ok) return c.html(<Page c={null} title="Unavailable"><p class="error" role="alert">The API answered {answer.status}.</p></Page>, 503);
    const session = answer.body;
    let csrf: string | undefined;
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      const form = await c.req.parseBody();
      csrf = typeof form._csrf === 'string' ? form._csrf : c.req.header('x-csrf-token');
      if (csrf !== session.csrfToken) {
        return c.html(<Page c={null} title="Refused"><p class="error" role="alert">This form has expired or did not come from this console (CSRF token). Go back, reload and try again.</p></Page>, 403);
      }
    }
    c.set('session', session);
    c.set('call', apiClient(api, c, csrf));
    await next();
  });
}

/** The API with the console at /ui in front of it: what the server listens with. */
export function withConsole(api: ApiFetcher & { fetch(request: Request, ...rest: unknown[]): Response | Promise<Response> }, opts: Omit<ConsoleOptions, 'api'> = {}) {
  const root = new Hono();
  root.route('/ui', createConsole({ ...opts, api }));
  root.get('/', (c) => c.redirect('/ui', 302));
  root.all('*', (c) => api.fetch(c.req.raw, c.env));
  return root;
}

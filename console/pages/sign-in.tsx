import { Hono } from 'hono';
import { apiClient } from '../client';
import { type ConsoleOptions, ui } from '../context';
import { Page } from '../layout';

function SignIn(props: { error?: string }) {
  return (
    <Page c={null} title="Sign in">
      {props.error && <p class="error" role="alert">{props.error}</p>}
      <form method="post" action={ui('/sign-in')}>
        <label for="token">API token</label>
        <p class="hint" id="token-hint">An admin token changes things; a read-only one (<code>--role read</code>) only looks. Make one with <code>npm run -s token -- create &lt;name&gt;</code>.</p>
        <input id="token" name="token" type="password" autocomplete="off" required aria-describedby="token-hint" autofocus />
        <p><button type="submit">Sign in</button></p>
      </form>
    </Page>
  );
}

/** The token is sent once, to the API's POST /session, which answers with the session cookie; the console only passes it on. */
export function signInRoutes(opts: ConsoleOptions) {
  return new Hono()
    .get('/sign-in', (c) => c.html(<SignIn />))
    .post('/sign-in', async (c) => {
      const form = await c.req.parseBody();
      const token = typeof form.token === 'string' ? form.token.trim() : '';
      if (!token) return c.html(<SignIn error="Enter an API token." />, 400);
      const answer = await apiClient(opts.api, c)('POST', '/session', undefined, { authorization: `Bearer ${token}` });
      if (answer.status === 429) {
        // Too many failed sign-ins from this address (or requests with this token): the user is told how long to wait.
        const wait = Math.max(1, Number(answer.headers.get('retry-after')) || 60);
        c.header('retry-after', String(wait));
        return c.html(<SignIn error={`Too many attempts: try again in ${wait} seconds.`} />, 429);
      }
      if (answer.status !== 201) {
        return c.html(<SignIn error={answer.status === 401 ? 'That token is not valid (or was revoked).' : `Sign-in failed: the API answered ${answer.status}.`} />, answer.status === 401 ? 401 : 502);
      }
      for (const cookie of answer.headers.getSetCookie()) c.header('set-cookie', cookie, { append: true });
      return c.redirect(ui(), 303);
    });
}

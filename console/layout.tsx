import type { Child } from 'hono/jsx';
import type { ConsoleContext } from './context';
import { ui } from './context';

const NAV = [
  { href: ui(), label: 'Projects' },
  { href: ui('/connections'), label: 'Connections' },
  { href: ui('/bindings/new'), label: 'Bind a project' },
  { href: ui('/plugins'), label: 'Plugins' },
];

/** The page shell: navigation, who is signed in, flash messages from the last form post. */
export function Page(props: { c: ConsoleContext | null; title: string; current?: string | undefined; children?: Child }) {
  const session = props.c?.get('session');
  const notice = props.c?.req.query('notice');
  const error = props.c?.req.query('error');
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · trackbridge`}</title>
        <meta name="htmx-config" content='{"includeIndicatorStyles":false,"allowEval":false}' />
        <link rel="stylesheet" href={ui('/assets/console.css')} />
        <script src={ui('/assets/htmx.min.js')} defer></script>
      </head>
      <body>
        <header>
          <a href={ui()}>trackbridge</a>
          {session && (
            <nav aria-label="Main" class="row">
              {NAV.map((n) => <a href={n.href} aria-current={props.current === n.href ? 'page' : undefined}>{n.label}</a>)}
            </nav>
          )}
          {session && (
            <div class="who">
              <span>Signed in as <strong>{session.tokenName}</strong> ({session.role === 'admin' ? 'admin' : 'read-only'})</span>
              <form method="post" action={ui('/sign-out')}>
                <input type="hidden" name="_csrf" value={session.csrfToken} />
                <button type="submit" class="secondary">Sign out</button>
              </form>
            </div>
          )}
        </header>
        <main id="main">
          <h1>{props.title}</h1>
          {notice && <p class="notice" role="status">{notice}</p>}
          {error && <p class="error" role="alert">{error}</p>}
          {session?.role === 'read' && <p class="readonly">This session is read-only: changes need an admin token.</p>}
          {props.children}
        </main>
      </body>
    </html>
  );
}

/** A form posting to the console with the session's CSRF token; its submit is disabled for read-only sessions. */
export function WriteForm(props: { c: ConsoleContext; action: string; label: string; danger?: boolean; secondary?: boolean; inline?: boolean; children?: Child }) {
  const session = props.c.get('session');
  const readOnly = session.role !== 'admin';
  return (
    <form method="post" action={props.action} class={props.inline ? 'inline' : undefined}>
      <input type="hidden" name="_csrf" value={session.csrfToken} />
      {props.children}
      <button type="submit" class={props.danger ? 'danger' : props.secondary ? 'secondary' : undefined} disabled={readOnly}
        title={readOnly ? 'Read-only session' : undefined}>{props.label}</button>
    </form>
  );
}

export const when = (iso: string | null | undefined) => (iso ? new Date(iso).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : '—');

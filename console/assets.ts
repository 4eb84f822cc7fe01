import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Hono } from 'hono';

/** htmx from its npm package (no CDN): read once at boot, served with a long cache. */
const htmx = readFileSync(createRequire(import.meta.url).resolve('htmx.org/dist/htmx.min.js'), 'utf8');

/** Hand-written and small: system fonts, a visible focus ring, text contrast of at least 7:1 on white. */
export const css = `
:root { --fg:#1a1a1a; --muted:#4a4a4a; --line:#c8c8c8; --accent:#0b4fa3; --bad:#a10d0d; --good:#0b6b2b; --bg-soft:#f3f5f8; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--fg); background:#fff; }
header { display:flex; gap:1.5rem; align-items:center; padding:.6rem 1.5rem; background:#13243d; color:#fff; }
header a { color:#fff; text-decoration:none; font-weight:600; }
header a:hover, header a[aria-current="page"] { text-decoration:underline; }
header .who { margin-left:auto; font-size:.9rem; display:flex; gap:.8rem; align-items:center; }
header form { margin:0; }
main { max-width:1200px; margin:0 auto; padding:1rem 1.5rem 3rem; }
h1 { font-size:1.5rem; margin:.8rem 0; } h2 { font-size:1.15rem; margin:1.6rem 0 .5rem; } h3 { font-size:1rem; }
a { color:var(--accent); }
:focus-visible { outline:3px solid #f0a500; outline-offset:2px; }
table { border-collapse:collapse; width:100%; margin:.4rem 0 1rem; }
th, td { text-align:left; padding:.35rem .5rem; border-bottom:1px solid var(--line); vertical-align:top; }
th { background:var(--bg-soft); font-weight:600; }
label { display:block; font-weight:600; margin:.6rem 0 .2rem; }
.hint { color:var(--muted); font-size:.85rem; font-weight:normal; margin:.1rem 0; }
input, select, textarea { font:inherit; padding:.35rem .45rem; border:1px solid #767676; border-radius:4px; max-width:100%; }
input[type=text], input[type=url], input[type=password], input[type=number], textarea, select.wide { width:28rem; }
td input[type=text], td input[type=number], td select { width:100%; min-width:6rem; }
td select[name$=".policy"] { min-width:10rem; }
table table { margin:0; }
.timeline td:first-child { white-space:nowrap; }
table table th, table table td { padding:.15rem .25rem; }
button, .button { font:inherit; padding:.4rem .9rem; border-radius:4px; border:1px solid var(--accent); background:var(--accent); color:#fff; cursor:pointer; text-decoration:none; display:inline-block; }
button.secondary, .button.secondary { background:#fff; color:var(--accent); }
button.danger { background:var(--bad); border-color:var(--bad); }
button:disabled { background:#d9d9d9; border-color:#b0b0b0; color:#4a4a4a; cursor:not-allowed; }
.inline { display:inline; margin:0; }
.row { display:flex; gap:.5rem; align-items:center; flex-wrap:wrap; }
.notice, .error, .readonly { padding:.6rem .8rem; border-radius:4px; margin:.6rem 0; }
.notice { background:#e5f4ea; border:1px solid var(--good); }
.error { background:#fbe9e9; border:1px solid var(--bad); }
.readonly { background:var(--bg-soft); border:1px solid var(--line); }
.steps { display:flex; gap:.4rem; list-style:none; padding:0; margin:.4rem 0 1rem; flex-wrap:wrap; }
.steps li { padding:.25rem .7rem; border-radius:999px; border:1px solid var(--line); color:var(--muted); }
.steps li[aria-current="step"] { background:var(--accent); border-color:var(--accent); color:#fff; }
progress { width:28rem; height:1.2rem; }
.cards { display:grid; grid-template-columns:repeat(auto-fit, minmax(16rem, 1fr)); gap:.8rem; }
.card { border:1px solid var(--line); border-radius:6px; padding:.6rem .9rem; }
.card h2 { margin-top:0; }
dl.facts { display:grid; grid-template-columns:max-content 1fr; gap:.2rem 1rem; margin:0; }
dl.facts dt { font-weight:600; }
dl.facts dd { margin:0; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size:.88rem; }
pre { background:var(--bg-soft); padding:.5rem; overflow:auto; }
.value { font-family: ui-monospace, monospace; background:var(--bg-soft); padding:0 .25rem; border-radius:3px; }
fieldset { border:1px solid var(--line); border-radius:6px; margin:.8rem 0; }
legend { font-weight:600; }
.sr-only { position:absolute; width:1px; height:1px; overflow:hidden; clip:rect(0 0 0 0); white-space:nowrap; }
`;

export function assetRoutes() {
  return new Hono()
    .get('/console.css', (c) => c.body(css, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'max-age=300' }))
    .get('/htmx.min.js', (c) => c.body(htmx, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'max-age=86400' }));
}

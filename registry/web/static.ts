import { createHash } from 'node:crypto';

/**
 * The pages' only stylesheet and script, served under a name carrying their content hash so browsers keep
 * them for a year (a new release changes the name). The script only adds copy buttons: every page works
 * without it.
 */

const STYLE = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--accent:#0a5c36;--link:#0550ae;--code:#f3f5f7;--warn:#8a4b00;--bad:#b3261e}
@media (prefers-color-scheme:dark){:root{--bg:#0f1419;--fg:#e6edf3;--muted:#a4b0bd;--line:#30363d;--accent:#5fd08f;--link:#79b8ff;--code:#1c232b;--warn:#f0b35a;--bad:#ff8a80}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
a{color:var(--link)}
a:focus-visible,button:focus-visible,input:focus-visible,summary:focus-visible{outline:3px solid var(--link);outline-offset:2px}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:var(--bg);padding:.5rem;z-index:2}
header.site,footer.site{border-bottom:1px solid var(--line);padding:.75rem 1rem}
footer.site{border-top:1px solid var(--line);border-bottom:0;color:var(--muted);font-size:.9rem;margin-top:2rem}
header.site nav{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;max-width:72rem;margin:0 auto}
header.site .brand{font-weight:700;color:var(--accent);text-decoration:none;font-size:1.15rem}
main{max-width:72rem;margin:0 auto;padding:1rem}
form.search{display:flex;gap:.5rem;flex-wrap:wrap}
input[type=search]{flex:1;min-width:12rem;padding:.5rem;font:inherit;color:inherit;background:var(--bg);border:1px solid var(--muted);border-radius:4px}
button{font:inherit;padding:.45rem .9rem;border-radius:4px;border:1px solid var(--accent);background:var(--accent);color:var(--bg);cursor:pointer}
button.copy{padding:.15rem .5rem;font-size:.85rem;background:transparent;color:var(--accent)}
.muted{color:var(--muted)}
.layout{display:grid;grid-template-columns:15rem 1fr;gap:1.5rem}
@media (max-width:48rem){.layout{grid-template-columns:1fr}}
fieldset{border:1px solid var(--line);border-radius:4px;margin:0 0 1rem;padding:.5rem .75rem}
legend{font-weight:600}
fieldset label{display:block}
ul.results{list-style:none;padding:0;margin:0}
ul.results li{border-bottom:1px solid var(--line);padding:.75rem 0}
ul.results h3{margin:0;font-size:1.1rem}
.badge{display:inline-block;border:1px solid var(--line);border-radius:999px;padding:0 .5rem;font-size:.8rem;margin-right:.25rem;color:var(--fg)}
.badge.pre{border-color:var(--warn);color:var(--warn)}
.tags a{margin-right:.35rem}
code,pre,kbd{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
pre{background:var(--code);padding:.75rem;overflow-x:auto;border-radius:4px}
:not(pre)>code{background:var(--code);padding:.1rem .3rem;border-radius:3px}
.install{display:flex;gap:.5rem;align-items:flex-start;margin:.25rem 0 .75rem}
.install pre{flex:1;margin:0;white-space:pre-wrap;word-break:break-all}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid var(--line);padding:.4rem .5rem;text-align:left;vertical-align:top}
.readme{border-top:1px solid var(--line);margin-top:1rem;overflow-wrap:anywhere}
.readme img{max-width:100%}
.errors{border:2px solid var(--bad);border-radius:4px;padding:.5rem 1rem}
.errors h2{color:var(--bad)}
nav.pages{display:flex;gap:1rem;margin-top:1rem}
.stats{display:flex;gap:2rem;flex-wrap:wrap}
.stats div{font-size:1.4rem;font-weight:700}
.stats span{display:block;font-size:.9rem;font-weight:400;color:var(--muted)}
`;

const SCRIPT = `
document.querySelectorAll('button[data-copy]').forEach(function (button) {
  var target = document.getElementById(button.getAttribute('data-copy'));
  if (!target || !navigator.clipboard) return;
  button.hidden = false;
  button.addEventListener('click', function () {
    navigator.clipboard.writeText(target.textContent.trim()).then(function () {
      button.textContent = 'Copied';
      button.setAttribute('aria-live', 'polite');
    });
  });
});
`;

export interface StaticFile {
  path: string;
  type: string;
  body: string;
  etag: string;
}

function hashed(base: string, ext: string, type: string, body: string): StaticFile {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { path: `/static/${base}.${hash}.${ext}`, type, body, etag: `"${hash}"` };
}

export const STYLESHEET = hashed('style', 'css', 'text/css; charset=utf-8', STYLE.trim() + '\n');
export const COPY_SCRIPT = hashed('copy', 'js', 'text/javascript; charset=utf-8', SCRIPT.trim() + '\n');
export const STATIC_FILES: readonly StaticFile[] = [STYLESHEET, COPY_SCRIPT];

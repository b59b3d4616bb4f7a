/**
 * `GET /docs`: a self-contained page (no external assets) that reads each version's
 * OpenAPI document and lists its operations, parameters, auth and limits.
 */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

export function docsPage(title: string, versions: readonly string[]): string {
  const options = versions.map((v) => `<option value="${escapeHtml(v)}">${escapeHtml(v)}</option>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#1d1d1f}
h1{font-size:1.4rem}.op{border:1px solid #ddd;border-radius:6px;margin:.6rem 0;padding:.6rem .9rem}
.m{display:inline-block;min-width:4.5rem;font-weight:600}.dep{color:#b00}code{background:#f4f4f4;padding:0 .2rem}
table{border-collapse:collapse;margin-top:.3rem}td,th{border:1px solid #eee;padding:.15rem .5rem;text-align:left;font-size:13px}
</style></head>
<body><h1>${escapeHtml(title)}</h1>
<p>Version <select id="v">${options}</select> · <a id="raw" href="#">OpenAPI document</a></p>
<div id="info"></div><div id="ops"></div>
<script>
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'})[c]);
async function show(version) {
  const url = '/' + version + '/openapi.json';
  document.getElementById('raw').href = url;
  const doc = await (await fetch(url)).json();
  document.getElementById('info').innerHTML = doc.info.description ? '<p class="dep">' + esc(doc.info.description) + '</p>' : '';
  const ops = [];
  for (const [path, item] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(item)) {
    const params = (op.parameters || []).map((p) => '<tr><td><code>' + esc(p.name) + '</code></td><td>' + esc(p.in) + '</td><td>' + esc(JSON.stringify(p.schema)) + '</td></tr>').join('');
    const auth = op.security && op.security.length ? 'API key' + (op.security[0].apiKey.length ? ' with scopes ' + esc(op.security[0].apiKey.join(', ')) : '') : 'public';
    const limits = op['x-rate-limits'] ? Object.entries(op['x-rate-limits']).map(([plan, r]) => esc(plan) + ': ' + r.limit + ' per ' + r.windowMs / 1000 + ' s').join(', ') : 'none';
    ops.push('<div class="op"><span class="m">' + method.toUpperCase() + '</span><code>' + esc(path) + '</code>' + (op.deprecated ? ' <span class="dep">deprecated</span>' : '') +
      '<div>' + esc(op.summary || '') + '</div><div>Auth: ' + auth + ' · Limits: ' + limits + '</div>' + (params ? '<table><tr><th>parameter</th><th>in</th><th>schema</th></tr>' + params + '</table>' : '') + '</div>');
  }
  document.getElementById('ops').innerHTML = ops.join('');
}
const select = document.getElementById('v');
select.value = ${JSON.stringify(versions[versions.length - 1] ?? '')};
select.onchange = () => show(select.value);
show(select.value);
</script></body></html>`;
}

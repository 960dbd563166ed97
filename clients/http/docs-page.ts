/**
 * The API docs page: plain HTML with no external assets (the service may run offline), listing every
 * operation of the registry with its route, scope and description, and linking the OpenAPI document.
 */
import type { AnyOperation } from '../registry/operation';
import { openApiPath } from './openapi';

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

export function docsPage(operations: readonly AnyOperation[], links: { uiUrl?: string; mcp: boolean }): string {
  const rows = operations
    .map(
      (op) => `<tr id="${escapeHtml(op.name)}">
  <td><code>${escapeHtml(op.name)}</code></td>
  <td><code>${op.http.method} ${escapeHtml(openApiPath(op.http.path))}</code></td>
  <td>${op.scope}</td>
  <td>${escapeHtml(op.description)}</td>
</tr>`,
    )
    .join('\n');
  const extra = [
    links.mcp ? '<li>MCP (Streamable HTTP): <code>/mcp</code>, the same bearer token; every operation is a tool of the same name</li>' : '',
    links.uiUrl ? `<li>Temporal Web UI: <a href="${escapeHtml(links.uiUrl)}">${escapeHtml(links.uiUrl)}</a></li>` : '',
  ].join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Mycelium API</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; max-width: 70rem; color: #222; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .4rem .6rem; border-bottom: 1px solid #ddd; }
code { font-size: .95em; }
</style>
</head>
<body>
<h1>Mycelium API</h1>
<ul>
<li>OpenAPI 3.1 document: <a href="/openapi.json">/openapi.json</a></li>
<li>Authenticate with <code>Authorization: Bearer &lt;token&gt;</code> (<code>myc tokens create --person &lt;email&gt; --scope read</code>)</li>
${extra}
</ul>
<table>
<thead><tr><th>operation</th><th>route</th><th>scope</th><th>description</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</body>
</html>
`;
}

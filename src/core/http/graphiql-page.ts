/** Where the IDE's files are served (each from an npm package, or from memory for our own start script). */
export const GRAPHIQL_ASSET_PATH = '/graphiql';

/** What the page hands to the start script. */
export interface GraphiqlSettings {
  /** The header editor's contents: JSON text, or '' when no token is prefilled. */
  headers: string;
  defaultQuery: string;
}

export const DEFAULT_QUERY = `# The access subgraph. Ctrl-Enter runs the operation; the Docs icon (top left) opens the schema.
{
  viewer {
    isPlatformAdmin
    user { id email displayName }
    memberships { organisation { slug } roles { name } }
  }
}
`;

/** JSON inside <script>: nothing in it may close the element or start a comment. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** The IDE page: React, ReactDOM and GraphiQL from this service, settings as inert JSON, no inline script. */
export function graphiqlPage(settings: GraphiqlSettings): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Access subgraph · GraphiQL</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${GRAPHIQL_ASSET_PATH}/graphiql.min.css">
<style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<script id="graphiql-settings" type="application/json">${scriptJson(settings)}</script>
<script src="${GRAPHIQL_ASSET_PATH}/react.production.min.js"></script>
<script src="${GRAPHIQL_ASSET_PATH}/react-dom.production.min.js"></script>
<script src="${GRAPHIQL_ASSET_PATH}/graphiql.min.js"></script>
<script src="${GRAPHIQL_ASSET_PATH}/start.js"></script>
</body>
</html>
`;
}

/**
 * Renders GraphiQL (its UMD build reads the React and ReactDOM globals) against the page's own URL, with
 * the header editor open and filled when the page carries a development token. Headers are not kept in
 * the browser's storage: a reload brings a fresh token.
 */
export const START_SCRIPT = `(function () {
  'use strict';
  var settings = JSON.parse(document.getElementById('graphiql-settings').textContent);
  var endpoint = new URL(window.location.pathname, window.location.origin).toString();
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, {
    fetcher: GraphiQL.createFetcher({ url: endpoint }),
    defaultQuery: settings.defaultQuery,
    headers: settings.headers,
    defaultHeaders: settings.headers,
    shouldPersistHeaders: false,
    defaultEditorToolsVisibility: settings.headers ? 'headers' : false
  }));
})();
`;

/**
 * Everything the page may load comes from this origin (`'self'`); inline styles are allowed because
 * CodeMirror and GraphiQL set them, inline scripts are not.
 */
export const GRAPHIQL_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

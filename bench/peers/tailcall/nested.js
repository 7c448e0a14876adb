// Hooks of the Tailcall config (nested.graphql), run in Tailcall's JS runtime: the body in, the body out.

// gate's user list `{count, results}` as the gateway's connection `{edges: [{node}]}`.
function toConnection(body) {
  const page = JSON.parse(body);
  return JSON.stringify({ edges: page.results.map((node) => ({ node })) });
}

// The length of one page of login history: Tailcall cannot read the `Link` header to the other pages.
function countItems(body) {
  return JSON.stringify(JSON.parse(body).length);
}

/** A page of the dashboard, from the URL fragment (`#/runs/<id>`, …). */
export type Route = { page: 'home' } | { page: 'runs' } | { page: 'nodes' } | { page: 'analytics' } | { page: 'run'; runId: string } | { page: 'task'; runId: string; taskId: string };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'runs' && parts[1] && parts[2] === 'tasks' && parts[3]) return { page: 'task', runId: parts[1], taskId: parts[3] };
  if (parts[0] === 'runs' && parts[1]) return { page: 'run', runId: parts[1] };
  if (parts[0] === 'runs') return { page: 'runs' };
  if (parts[0] === 'nodes') return { page: 'nodes' };
  if (parts[0] === 'analytics') return { page: 'analytics' };
  return { page: 'home' };
}

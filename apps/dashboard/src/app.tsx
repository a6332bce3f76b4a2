import { useEffect, useState } from 'preact/hooks';
import { adoptTokenFromFragment, forgetToken, onUnauthorized, post, storeToken, storedToken } from './api.js';
import { startLiveData } from './live.js';
import { type Route, parseRoute } from './route.js';
import { ActionButton, Toasts } from './ui.js';
import { AgentsPanel } from './views/agents.js';
import { AnalyticsPage } from './views/analytics.js';
import { NodesPanel } from './views/nodes.js';
import { RunPage } from './views/run.js';
import { RunsPanel } from './views/runs.js';
import { TaskPage } from './views/task.js';

/** The current route; a `#token=…` typed into an open page is taken as the new token (`onToken`). */
function useRoute(onToken: (token: string) => void): Route {
  const [route, setRoute] = useState(parseRoute(location.hash));
  useEffect(() => {
    const on = () => {
      if (adoptTokenFromFragment()) onToken(storedToken()!);
      setRoute(parseRoute(location.hash));
    };
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

/** Asks for an API token when none is kept or the kept one was refused. */
function SignIn({ message, onToken }: { message?: string; onToken: (t: string) => void }) {
  const [value, setValue] = useState('');
  return (
    <form
      class="sign-in panel"
      onSubmit={(e) => {
        e.preventDefault();
        if (value.trim()) onToken(value.trim());
      }}
    >
      <h2>Shoal dashboard</h2>
      <p>
        Paste an API token (scope <code>read</code> to watch, <code>operate</code> for the buttons). Mint one with <code>shoal token create --scope operate</code>, or open <code>/#token=&lt;token&gt;</code>. It is kept in this tab only.
      </p>
      {message ? <p class="error-note">{message}</p> : null}
      <input type="password" name="token" autocomplete="off" placeholder="API token" value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} />
      <button type="submit">Open</button>
    </form>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'run':
      return <RunPage key={route.runId} runId={route.runId} />;
    case 'task':
      return <TaskPage key={`${route.runId}/${route.taskId}`} runId={route.runId} taskId={route.taskId} />;
    case 'runs':
      return <RunsPanel />;
    case 'nodes':
      return <NodesPanel />;
    case 'analytics':
      return <AnalyticsPage />;
    default:
      return (
        <>
          <AgentsPanel />
          <RunsPanel limit={15} />
          <NodesPanel compact />
        </>
      );
  }
}

function Dashboard({ route }: { route: Route }) {
  useEffect(() => startLiveData(), []);
  const link = (href: string, label: string, active: boolean) => (
    <a href={href} class={active ? 'active' : ''}>
      {label}
    </a>
  );
  return (
    <>
      <nav class="top">
        <a href="#/" class="brand">
          Shoal
        </a>
        {link('#/', 'Overview', route.page === 'home')}
        {link('#/runs', 'Runs', route.page === 'runs' || route.page === 'run' || route.page === 'task')}
        {link('#/nodes', 'Nodes', route.page === 'nodes')}
        {link('#/analytics', 'Analytics', route.page === 'analytics')}
        <span class="spacer" />
        <ActionButton label="Stop all" danger testId="stop-all" confirm="Stop every task on every node now? Running agents are killed." action={() => post('/emergency/stop-all')} done="stop-all sent to every node" />
        <button
          type="button"
          class="quiet"
          onClick={() => {
            forgetToken();
            location.reload();
          }}
        >
          Sign out
        </button>
      </nav>
      <main>
        <Page route={route} />
      </main>
    </>
  );
}

/** The dashboard: a sign-in form until a token is kept, then the pages. */
export function App() {
  const [token, setToken] = useState(storedToken());
  const route = useRoute(setToken);
  const [refused, setRefused] = useState<string | undefined>();
  useEffect(
    () =>
      onUnauthorized((message) => {
        forgetToken();
        setRefused(message);
        setToken(undefined);
      }),
    [],
  );
  return (
    <>
      {token ? (
        <Dashboard route={route} />
      ) : (
        <SignIn
          message={refused}
          onToken={(t) => {
            storeToken(t);
            setRefused(undefined);
            setToken(t);
          }}
        />
      )}
      <Toasts />
    </>
  );
}

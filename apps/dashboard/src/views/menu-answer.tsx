import { useState } from 'preact/hooks';
import { ApiError, post } from '../api.js';
import { MENU_BUTTON_KEYS, describeChooseReply, describeKeysReply, keyCaption, parseChoice } from '../menu-answer.js';
import type { AgentStateName, MenuKey, TaskChooseReply, TaskKeysReply } from '../types.js';

/** The last answer of the node, or the API's refusal (a 409 of `choose` lists the menu's options). */
interface Outcome {
  text: string;
  error: boolean;
}

function refusal(what: string, err: unknown): Outcome {
  const status = err instanceof ApiError ? ` (${err.status})` : '';
  return { text: `${what} refused${status}: ${(err as Error).message}`, error: true };
}

/**
 * Answers the menu an agent shows (docs/agents.md "Answering menus"): buttons for allowed keys
 * (`POST …/keys {keys: [key]}`) and an option to choose by number or label (`POST …/choose
 * {option}`), with the node's answer (the option chosen, whether the screen changed) or the
 * refusal shown below. Offered while the task runs; highlighted when its agent is in `menu`.
 */
export function MenuAnswer({ path, enabled, agentState }: { path: string; enabled: boolean; agentState?: AgentStateName }) {
  const [option, setOption] = useState('');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | undefined>();
  const run = async (what: string, action: () => Promise<string>) => {
    setBusy(true);
    try {
      setOutcome({ text: await action(), error: false });
    } catch (err) {
      setOutcome(refusal(what, err));
    } finally {
      setBusy(false);
    }
  };
  const press = (key: MenuKey) => void run(key, async () => describeKeysReply(await post<TaskKeysReply>(`${path}/keys`, { keys: [key] })));
  const choose = (ev: Event) => {
    ev.preventDefault();
    const choice = parseChoice(option);
    if (choice === undefined) return;
    void run('choose', async () => {
      const reply = await post<TaskChooseReply>(`${path}/choose`, { option: choice });
      setOption('');
      return describeChooseReply(reply);
    });
  };
  const inMenu = agentState === 'menu';
  return (
    <div class={inMenu ? 'menu-answer in-menu' : 'menu-answer'} data-testid="menu-answer">
      <p class="menu-answer-title">{inMenu ? 'The agent shows a menu: pick an option or press keys' : 'Keys for a menu (text goes through Send)'}</p>
      <div class="menu-keys">
        {MENU_BUTTON_KEYS.map((key) => (
          <button key={key} type="button" disabled={!enabled || busy} data-key={key} title={`press ${key} in the pane`} onClick={() => press(key)}>
            {keyCaption(key)}
          </button>
        ))}
      </div>
      <form class="choose" onSubmit={choose}>
        <input type="text" placeholder={enabled ? 'option to choose: its number or (part of) its label' : 'the task is not running'} value={option} maxLength={200} disabled={!enabled || busy} onInput={(e) => setOption((e.target as HTMLInputElement).value)} />
        <button type="submit" disabled={!enabled || busy || parseChoice(option) === undefined}>
          Choose
        </button>
      </form>
      {outcome ? (
        <p class={outcome.error ? 'menu-reply error-note' : 'menu-reply'} data-testid="menu-reply" data-error={String(outcome.error)}>
          {outcome.text}
        </p>
      ) : null}
    </div>
  );
}

import { AuthenticationError } from '@shoal/protocol';
import { openUrl } from './deploy-browser.js';
import type { RegisterCommand } from './task-api.js';

/**
 * `shoal dashboard [--with-token]`: where the web dashboard of the coordinator is. With
 * `--with-token`, a link carrying this CLI's token in the URL fragment (`/#token=…`): browsers do
 * not send fragments, the page moves the token into the tab's sessionStorage and out of the address
 * bar. The token is checked first, so a link that would only show the sign-in form is not printed.
 * `--json`: `{url}` (the link), the notes on stderr.
 */
export const registerDashboardCommand: RegisterCommand = (program, { api, out, act, output }) => {
  program
    .command('dashboard')
    .description('print the URL of the web dashboard (with --with-token: a link that signs the browser in)')
    .option('--with-token', "put this CLI's API token in the link's #fragment (keep such a link private)")
    .option('--open', 'also open it in the browser on a desktop (xdg-open with DISPLAY set, or macOS open)')
    .action(
      act(async (o: { withToken?: boolean; open?: boolean }) => {
        const client = api();
        const page = `${client.base}/`;
        if (!o.withToken) {
          output.show({ url: page }, (r) => r.url);
          out('open it and paste an API token (`shoal token create --scope operate`), or run `shoal dashboard --with-token` for a link that signs in');
          if (o.open) out(await openUrl(page));
          return 0;
        }
        if (!client.conn.token) throw new AuthenticationError(`--with-token: ${client.conn.tokenSource}`);
        await client.runs();
        output.show({ url: `${page}#token=${encodeURIComponent(client.conn.token)}` }, (r) => r.url);
        return 0;
      }),
    );
};

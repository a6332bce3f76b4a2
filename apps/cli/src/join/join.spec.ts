import { checkCoordinatorUrl, checkLabels, planJoin } from './join-options.js';
import { renderSystemdUnit, systemdWord } from './systemd.js';

describe('shoal join options', () => {
  it('turns the flags into the node-agent environment and the arguments of a service', () => {
    const plan = planJoin({ url: 'http://10.0.0.5:8080/', nodeId: 'Node-B', labels: 'gpu=yes, zone=eu-1', tmuxSocket: 'tb', runAs: 'off' }, '/home/x/.shoal');
    expect(plan).toEqual({
      nodeId: 'node-b',
      dataDir: '/home/x/.shoal/node/node-b',
      credentials: '/home/x/.shoal/node/node-b/credentials.json',
      env: {
        SHOAL_JOIN_URL: 'http://10.0.0.5:8080',
        SHOAL_NODE_ID: 'node-b',
        SHOAL_DATA_DIR: '/home/x/.shoal/node/node-b',
        SHOAL_RUN_AS: 'off',
        SHOAL_LABELS: 'gpu=yes,zone=eu-1',
        SHOAL_TMUX_SOCKET: 'tb',
      },
      args: ['http://10.0.0.5:8080', '--node-id', 'node-b', '--data-dir', '/home/x/.shoal/node/node-b', '--run-as', 'off', '--labels', 'gpu=yes,zone=eu-1', '--tmux-socket', 'tb'],
    });
    expect(JSON.stringify(plan)).not.toContain('token');
  });

  it('hands a private CA to the node-agent as NODE_EXTRA_CA_CERTS', () => {
    const plan = planJoin({ url: 'https://ctl:8080', nodeId: 'n1', runAs: 'shoal-agent', tlsCa: '/etc/shoal/ca.pem', dataDir: '/var/lib/shoal' }, '/h');
    expect(plan.env).toMatchObject({ NODE_EXTRA_CA_CERTS: '/etc/shoal/ca.pem', SHOAL_DATA_DIR: '/var/lib/shoal', SHOAL_RUN_AS: 'shoal-agent' });
    expect(plan.args).toEqual(expect.arrayContaining(['--tls-ca', '/etc/shoal/ca.pem']));
  });

  it('refuses malformed labels and URLs with what is expected', () => {
    expect(() => checkLabels('gpu')).toThrow(/"gpu" is not k=v/);
    expect(() => checkLabels('GPU=yes')).toThrow(/not k=v/);
    expect(() => checkLabels('a=b;rm -rf /')).toThrow(/not k=v/);
    expect(checkLabels('a=b,,c=d')).toBe('a=b,c=d');
    expect(() => checkCoordinatorUrl('nats://10.0.0.5:4222')).toThrow(/http:\/\/ or https:\/\//);
    expect(() => checkCoordinatorUrl('10.0.0.5:8080')).toThrow(/e.g. http:\/\/10.0.0.5:8080/);
    expect(() => checkCoordinatorUrl('not a url')).toThrow(/is not a URL/);
  });
});

describe('systemd unit of shoal join', () => {
  const base = { nodeId: 'node-b', node: '/usr/bin/node', cli: '/opt/shoal/apps/cli/dist/main.js', args: ['http://ctl:8080', '--node-id', 'node-b', '--run-as', 'shoal-agent'] };

  it('runs the same join command with absolute paths, restarts on failure and never kills the agents in tmux', () => {
    const unit = renderSystemdUnit({ ...base, joinToken: 'shoaljoin_abc' });
    expect(unit).toContain('ExecStart=/usr/bin/node /opt/shoal/apps/cli/dist/main.js join http://ctl:8080 --node-id node-b --run-as shoal-agent\n');
    expect(unit).toMatch(/^Type=simple$/m);
    expect(unit).toMatch(/^Restart=on-failure$/m);
    expect(unit).toMatch(/^KillMode=process$/m);
    expect(unit).toMatch(/^RestartPreventExitStatus=3$/m);
    expect(unit).toMatch(/^Environment=SHOAL_KEEP_AGENTS_ON_EXIT=1$/m);
    expect(unit).toMatch(/^Environment=SHOAL_JOIN_TOKEN=shoaljoin_abc$/m);
    expect(unit).toMatch(/^WantedBy=multi-user.target$/m);
    expect(unit).not.toMatch(/--token/);
  });

  it('holds no token once the node has credentials', () => {
    const unit = renderSystemdUnit(base);
    expect(unit).not.toMatch(/TOKEN|shoaljoin/);
  });

  it('quotes words with spaces, quotes, dollars and percent signs', () => {
    expect(systemdWord('/opt/my shoal/main.js')).toBe('"/opt/my shoal/main.js"');
    expect(systemdWord('a"b$c%d')).toBe('"a\\"b$$c%%d"');
    expect(systemdWord('100%')).toBe('100%%');
  });
});

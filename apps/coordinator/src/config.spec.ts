import { loadCoordinatorConfig } from './config.js';

describe('coordinator security configuration', () => {
  it('refuses to start without SHOAL_SECURITY_DIR, naming both ways out', () => {
    expect(() => loadCoordinatorConfig({})).toThrow(/SHOAL_SECURITY_DIR is not set.*SHOAL_INSECURE=1/s);
  });

  it('runs insecure only when SHOAL_INSECURE=1 says so, and a security dir wins over it', () => {
    expect(loadCoordinatorConfig({ SHOAL_INSECURE: '1' }).security).toMatchObject({ insecure: true, dir: undefined });
    expect(loadCoordinatorConfig({ SHOAL_INSECURE: '1', SHOAL_SECURITY_DIR: '/s' }).security).toMatchObject({ insecure: false, dir: '/s' });
    expect(() => loadCoordinatorConfig({ SHOAL_INSECURE: 'yes' })).toThrow(/SHOAL_INSECURE=yes/);
  });

  it('reads the bus and API settings', () => {
    const s = loadCoordinatorConfig({
      NATS_URL: 'nats://10.0.0.1:4222',
      SHOAL_SECURITY_DIR: '/s',
      SHOAL_NATS_AUTH_FILE: '/s/auth.conf',
      SHOAL_NATS_PID_FILE: '/s/nats.pid',
      SHOAL_PUBLIC_URL: 'https://ctl.example:8080/',
      SHOAL_TLS_CERT: '/c.pem',
      SHOAL_TLS_KEY: '/k.pem',
    }).security;
    expect(s).toMatchObject({ natsAuthFile: '/s/auth.conf', natsPidFile: '/s/nats.pid', natsAdvertise: ['nats://10.0.0.1:4222'], publicUrl: 'https://ctl.example:8080', tlsCert: '/c.pem' });
    expect(loadCoordinatorConfig({ SHOAL_INSECURE: '1', SHOAL_NATS_ADVERTISE: 'tls://a:4222, tls://b:4222' }).security.natsAdvertise).toEqual(['tls://a:4222', 'tls://b:4222']);
    expect(() => loadCoordinatorConfig({ SHOAL_INSECURE: '1', SHOAL_TLS_CERT: '/c.pem' })).toThrow(/together/);
    expect(() => loadCoordinatorConfig({ SHOAL_INSECURE: '1', SHOAL_PUBLIC_URL: 'ctl:8080' })).toThrow(/SHOAL_PUBLIC_URL/);
    expect(() => loadCoordinatorConfig({ SHOAL_INSECURE: '1', SHOAL_NATS_ADVERTISE: 'http://x' })).toThrow(/SHOAL_NATS_ADVERTISE/);
  });
});

describe('coordinator durability configuration', () => {
  it('defaults: R1, 10 s state-write deadline, work AckWait 60 s and MaxDeliver 20', () => {
    expect(loadCoordinatorConfig({ SHOAL_INSECURE: '1' })).toMatchObject({ natsReplicas: 1, stateWriteDeadlineMs: 10_000, workAckWaitMs: 60_000, workMaxDeliver: 20 });
  });

  it('reads them, and refuses values out of range naming the variable', () => {
    const c = loadCoordinatorConfig({ SHOAL_INSECURE: '1', SHOAL_NATS_REPLICAS: '3', SHOAL_STATE_WRITE_DEADLINE_MS: '2500', SHOAL_WORK_ACK_WAIT_MS: '5000', SHOAL_WORK_MAX_DELIVER: '5' });
    expect(c).toMatchObject({ natsReplicas: 3, stateWriteDeadlineMs: 2500, workAckWaitMs: 5000, workMaxDeliver: 5 });
    expect(() => loadCoordinatorConfig({ SHOAL_INSECURE: '1', SHOAL_NATS_REPLICAS: '6' })).toThrow(/SHOAL_NATS_REPLICAS=6: must be an integer from 1 to 5/);
    expect(() => loadCoordinatorConfig({ SHOAL_INSECURE: '1', SHOAL_WORK_MAX_DELIVER: '-1' })).toThrow(/SHOAL_WORK_MAX_DELIVER/);
  });
});

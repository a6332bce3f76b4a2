import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TlsFiles } from '@shoal/runtime';
import { requireBinary } from '../processes.js';

const exec = promisify(execFile);

/** `subjectAltName` entries for the names a certificate must answer to (IPs as IP:, others as DNS:). */
export function subjectAltNames(names: string[]): string {
  const unique = [...new Set(names.map((n) => n.replace(/^\[|\]$/g, '')).filter((n) => n && n !== '0.0.0.0' && n !== '::'))];
  return unique.map((n) => (isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
}

/**
 * `shoal up --tls generate`: a private CA kept in `<data-dir>/tls` (made once, so joined hosts keep
 * trusting it) and a server certificate for `names`, signed by it on every start. Uses the
 * `openssl` program with argv arrays; private keys are 0600.
 */
export async function generateTls(dir: string, names: string[], say: (s: string) => void): Promise<Required<TlsFiles>> {
  const openssl = requireBinary('openssl');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const f = { caKey: join(dir, 'ca.key'), ca: join(dir, 'ca.pem'), key: join(dir, 'server.key'), csr: join(dir, 'server.csr'), cert: join(dir, 'server.pem'), ext: join(dir, 'server.ext') };
  const run = async (args: string[]) => {
    try {
      await exec(openssl, args);
    } catch (e) {
      throw new Error(`openssl ${args[0]} failed: ${((e as { stderr?: string }).stderr ?? (e as Error).message).trim().slice(0, 500)}`);
    }
  };
  if (!existsSync(f.ca) || !existsSync(f.caKey)) {
    await run(['req', '-x509', '-newkey', 'rsa:3072', '-nodes', '-keyout', f.caKey, '-out', f.ca, '-days', '3650', '-subj', '/CN=Shoal cluster CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    chmodSync(f.caKey, 0o600);
    say(`generated a cluster CA: ${f.ca} (joining hosts pass a copy with --tls-ca)`);
  }
  const san = subjectAltNames(names);
  await run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f.key, '-out', f.csr, '-subj', `/CN=${names[0] ?? 'shoal'}`]);
  chmodSync(f.key, 0o600);
  writeFileSync(f.ext, `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`);
  await run(['x509', '-req', '-in', f.csr, '-CA', f.ca, '-CAkey', f.caKey, '-CAcreateserial', '-out', f.cert, '-days', '825', '-extfile', f.ext]);
  rmSync(f.csr, { force: true });
  return { cert: f.cert, key: f.key, ca: f.ca };
}

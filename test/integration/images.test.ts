import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
// @ts-expect-error plain ESM script without types
import { AGENT_CLIS_IMAGE, EXTERNAL_IMAGES, IMAGES, buildCommands, imageTag, lintDockerfile, lintImages, parseDockerfile } from '../../scripts/images.mjs';
import { allRenderings, type Obj } from './k8s-render.js';

/** The Dockerfiles (offline: parsed and linted, no builder) and the images deploy/k8s runs. */

type Image = { name: string; dockerfile: string; target: string; user: string };
const images = IMAGES as Image[];
const repo = resolve(process.cwd());
const script = join(repo, 'scripts/images.mjs');
const coordinatorText = readFileSync(join(repo, 'deploy/docker/coordinator.Dockerfile'), 'utf8');

/** Every `image:` of every container and init container of every rendering of deploy/k8s. */
function renderedImages(): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  for (const [rendering, objs] of allRenderings()) {
    for (const o of objs as Obj[]) {
      const spec = o.spec?.template?.spec;
      for (const c of [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])] as Obj[]) {
        seen.set(c.image, [...(seen.get(c.image) ?? []), `${rendering}: ${o.kind}/${o.metadata.name}/${c.name}`]);
      }
    }
  }
  return seen;
}

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'shoal-images-'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs `node scripts/images.mjs` with only `bin` (fake builders) and node's directory on PATH. */
function runScript(bin: string, args: string[] = []) {
  const path = `${bin}:${resolve(process.execPath, '..')}`;
  return spawnSync(process.execPath, [script, ...args], { cwd: repo, env: { PATH: path, HOME: tmp }, encoding: 'utf8', timeout: 60_000 });
}

function fakeBuilder(name: string, body: string): void {
  writeFileSync(join(tmp, name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(tmp, name), 0o755);
}

describe('container images', () => {
  it('both Dockerfiles pass the lint: named stages, pinned bases, COPY sources present, exec-form CMD, claimed users', () => {
    expect(lintImages()).toEqual([]);
    expect(images.map((i) => `${i.name} ${i.target} ${i.user}`)).toEqual(['shoal/coordinator coordinator non-root', 'shoal/node-agent node-agent root']);
    for (const file of new Set(images.map((i) => i.dockerfile))) {
      const ins = parseDockerfile(readFileSync(join(repo, file), 'utf8')) as Array<{ keyword: string; args: string }>;
      const froms = ins.filter((i) => i.keyword === 'FROM').map((i) => i.args);
      expect(froms[0]).toMatch(/^node:20\.\d+\.\d+-bookworm-slim AS build$/);
      expect(ins.some((i) => i.keyword === 'RUN' && /npm ci\b/.test(i.args))).toBe(true);
      expect(ins.some((i) => i.keyword === 'RUN' && /npm run build && npm prune --omit=dev/.test(i.args))).toBe(true);
    }
    const coordinator = parseDockerfile(coordinatorText) as Array<{ keyword: string; args: string }>;
    expect(coordinator.filter((i) => i.keyword === 'USER').map((i) => i.args)).toEqual(['10001:10001']);
  });

  it('the node-agent image carries tmux, procps, git and util-linux, and the agent CLIs only in its optional stage', () => {
    const text = readFileSync(join(repo, 'deploy/docker/node-agent.Dockerfile'), 'utf8');
    const install = (parseDockerfile(text) as Array<{ keyword: string; args: string }>).find((i) => /apt-get install/.test(i.args))!;
    for (const pkg of ['tmux', 'procps', 'git', 'util-linux']) expect(install.args.split(/\s+/)).toContain(pkg);
    // without a UTF-8 locale tmux prints the tabs of Shoal's list formats as `_` and the node-agent fails at start
    expect((parseDockerfile(text) as Array<{ keyword: string; args: string }>).some((i) => i.keyword === 'ENV' && /\bLANG=C\.UTF-8\b/.test(i.args))).toBe(true);
    expect(text).toMatch(/FROM node-agent-base AS node-agent-clis\nARG AGENT_CLIS=""\n/);
    expect(text.trim().split('\n').at(-1)).toBe('FROM node-agent-base AS node-agent');
    const withClis = buildCommands('docker', { tag: '9.9.9', agentClis: true }) as string[][];
    expect(withClis.map((c) => c.at(-2))).toEqual(['shoal/coordinator:9.9.9', 'shoal/node-agent:9.9.9', 'shoal/node-agent:9.9.9-agents']);
    const arg = withClis[2]!.find((w) => w.startsWith('AGENT_CLIS='))!;
    expect(arg).toMatch(/@anthropic-ai\/claude-code@\d+\.\d+\.\d+/);
    expect(arg.split('=')[1]!.split(' ').every((p) => /^(@[\w-]+\/)?[\w.-]+@\d+\.\d+\.\d+$/.test(p))).toBe(true);
    expect(withClis[2]).toEqual(expect.arrayContaining(['--target', AGENT_CLIS_IMAGE.target]));
  });

  it('the lint rejects what it should: ADD of a URL, unpinned or unnamed stages, a wrong --from, root claimed non-root, missing or ignored COPY sources', () => {
    const lint = (text: string, claims = {}) => lintDockerfile(text, { repo, claims }) as string[];
    expect(lint(coordinatorText, { coordinator: 'non-root' })).toEqual([]);
    expect(lint(coordinatorText.replace('USER 10001:10001', 'USER root'), { coordinator: 'non-root' })).toEqual(['stage coordinator runs as root, claimed non-root']);
    expect(lint(coordinatorText.replace(/USER 10001:10001\n/, ''), { coordinator: 'non-root' })).toEqual(['stage coordinator runs as root, claimed non-root']);
    expect(lint(coordinatorText.replace('FROM node:20.20.0-bookworm-slim AS build', 'FROM node:latest AS build'))).toEqual([
      'line 7: base image node:latest is not pinned (use a version tag such as node:20.20.0-bookworm-slim, or a digest)',
    ]);
    expect(lint(coordinatorText.replace('FROM node:20.20.0-bookworm-slim AS coordinator', 'FROM node:20.20.0-bookworm-slim'))).toEqual([
      expect.stringMatching(/must name its stage/),
    ]);
    expect(lint(coordinatorText.replace('COPY --from=build /src/package.json', 'COPY --from=bild /src/package.json'))).toEqual([expect.stringMatching(/--from=bild is not an earlier stage/)]);
    const bad = 'FROM node:20.20.0-bookworm-slim AS x\nADD https://example.com/tool.tgz /opt/\nCOPY nope.txt /x\nCOPY test/integration /t\nCMD node main.js\nFROBNICATE yes\n';
    expect(lint(bad)).toEqual([
      'line 2: ADD of a URL (download with a pinned checksum in RUN, or COPY)',
      'line 3: COPY source nope.txt does not exist in the repository',
      'line 4: COPY source test/integration is excluded by .dockerignore',
      'line 5: CMD in exec form (a JSON array), so signals reach the process',
      'line 6: unknown instruction FROBNICATE',
    ]);
  });

  it('every image deploy/k8s runs (all overlays and components) is built from a Dockerfile here or is a pinned third-party image', () => {
    const seen = renderedImages();
    expect(seen.size).toBeGreaterThanOrEqual(4);
    const problems: string[] = [];
    for (const [ref, where] of seen) {
      const [name, tag] = ref.split(/:(?=[^/:]+$)/) as [string, string | undefined];
      const built = images.find((i) => i.name === name);
      if (built) {
        if (tag !== imageTag()) problems.push(`${ref} (${where[0]}): tag is not package.json's version ${imageTag()}`);
      } else if (!(EXTERNAL_IMAGES as string[]).includes(name)) problems.push(`${ref} (${where[0]}): no Dockerfile builds it and it is not a declared third-party image`);
      else if (!tag || tag === 'latest' || !/\d+\.\d+\.\d+/.test(tag)) problems.push(`${ref} (${where[0]}): not pinned to a version`);
    }
    expect(problems).toEqual([]);
    for (const i of images) expect({ image: i.name, used: [...seen.keys()].some((r) => r.startsWith(`${i.name}:`)) }).toEqual({ image: i.name, used: true });
  });

  it('npm run images without a usable builder says so, prints the commands and exits 0; with one it runs them', () => {
    fakeBuilder('docker', 'echo "Cannot connect to the Docker daemon" >&2; exit 1');
    const none = runScript(tmp);
    expect({ status: none.status, stderr: none.stderr }).toEqual({ status: 0, stderr: '' });
    expect(none.stdout).toMatch(/^No image builder available here \(docker: installed but not usable \(Cannot connect to the Docker daemon\); podman: not installed; buildah: not installed\): nothing built\./);
    expect(none.stdout).toContain(`docker build -f deploy/docker/coordinator.Dockerfile --target coordinator -t shoal/coordinator:${imageTag()} .`);

    fakeBuilder('podman', `[ "$1" = info ] && exit 0; echo "$@" >> ${tmp}/built.txt`);
    const built = runScript(tmp, ['--agent-clis']);
    expect(built.status).toBe(0);
    const lines = readFileSync(join(tmp, 'built.txt'), 'utf8').trim().split('\n');
    expect(lines.map((l) => l.split(' -t ')[1])).toEqual([`shoal/coordinator:${imageTag()} .`, `shoal/node-agent:${imageTag()} .`, `shoal/node-agent:${imageTag()}-agents .`]);
    expect(lines[0]).toBe(`build -f deploy/docker/coordinator.Dockerfile --target coordinator -t shoal/coordinator:${imageTag()} .`);
  });
});

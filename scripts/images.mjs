#!/usr/bin/env node
/**
 * `npm run images`: builds the container images that deploy/k8s runs, with the first builder found
 * (docker with a reachable engine, podman, buildah). Without one it says so, prints the commands it
 * would run and exits 0. Also the one home of the image -> Dockerfile mapping (IMAGES) and of the
 * third-party images deploy/k8s names (EXTERNAL_IMAGES), read by test/integration/images.test.ts.
 *
 *   npm run images                       # shoal/coordinator:<version>, shoal/node-agent:<version>
 *   npm run images -- --agent-clis       # also shoal/node-agent:<version>-agents (pinned agent CLIs)
 *   npm run images -- --dry-run          # print the commands only
 *   npm run images -- --check            # lint the Dockerfiles offline (no builder needed)
 *   npm run images -- --builder podman   # choose the builder
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_CLIS } from './agents-capture/versions.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Images built from this repository: name (as deploy/k8s names it), Dockerfile, stage, who it runs as. */
export const IMAGES = [
  { name: 'shoal/coordinator', dockerfile: 'deploy/docker/coordinator.Dockerfile', target: 'coordinator', user: 'non-root' },
  { name: 'shoal/node-agent', dockerfile: 'deploy/docker/node-agent.Dockerfile', target: 'node-agent', user: 'root' },
];

/** The optional node-agent variant with the agent CLIs: `<version>-agents`, stage node-agent-clis. */
export const AGENT_CLIS_IMAGE = { name: 'shoal/node-agent', tagSuffix: '-agents', dockerfile: 'deploy/docker/node-agent.Dockerfile', target: 'node-agent-clis', user: 'root' };

/** Third-party images deploy/k8s may name (not built here); each must be pinned by tag in the manifests. */
export const EXTERNAL_IMAGES = ['nats', 'otel/opentelemetry-collector-contrib', 'busybox'];

/** `pkg@version ...` of the pinned agent CLIs (scripts/agents-capture/versions.mjs). */
export function agentCliPackages() {
  return Object.values(AGENT_CLIS)
    .map((c) => `${c.pkg}@${c.version}`)
    .join(' ');
}

/** The repository's version: the tag of the images (and of deploy/k8s/base/kustomization.yaml). */
export function imageTag() {
  return JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
}

/** The build commands (argv lists) for a builder. */
export function buildCommands(builder, { tag = imageTag(), agentClis = false } = {}) {
  const sub = builder === 'buildah' ? ['bud'] : ['build'];
  const one = (img, t, extra = []) => [builder, ...sub, '-f', img.dockerfile, '--target', img.target, ...extra, '-t', `${img.name}:${t}`, '.'];
  const cmds = IMAGES.map((img) => one(img, tag));
  if (agentClis) cmds.push(one(AGENT_CLIS_IMAGE, `${tag}${AGENT_CLIS_IMAGE.tagSuffix}`, ['--build-arg', `AGENT_CLIS=${agentCliPackages()}`]));
  return cmds;
}

const INSTRUCTIONS = new Set(['FROM', 'RUN', 'CMD', 'LABEL', 'EXPOSE', 'ENV', 'ADD', 'COPY', 'ENTRYPOINT', 'VOLUME', 'USER', 'WORKDIR', 'ARG', 'ONBUILD', 'STOPSIGNAL', 'HEALTHCHECK', 'SHELL']);

/**
 * Parses a Dockerfile into instructions ({line, keyword, args}): comments and blank lines dropped,
 * `\` continuations joined (comment lines inside a continuation skipped, as docker does).
 */
export function parseDockerfile(text) {
  const out = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const first = lines[i];
    if (/^\s*(#.*)?$/.test(first)) continue;
    const start = i + 1;
    let joined = first;
    while (/\\\s*$/.test(joined) && i + 1 < lines.length) {
      joined = joined.replace(/\\\s*$/, ' ');
      i++;
      if (/^\s*#/.test(lines[i])) continue;
      joined += lines[i];
    }
    const m = /^\s*(\S+)\s*(.*)$/.exec(joined);
    out.push({ line: start, keyword: m[1], args: m[2].trim() });
  }
  return out;
}

/** Splits `--flag=value` options off an instruction's arguments. */
function options(args) {
  const flags = {};
  const rest = args.split(/\s+/).filter((w) => {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(w);
    if (m) flags[m[1]] = m[2] ?? true;
    return !m;
  });
  return { flags, rest };
}

/** `.dockerignore` patterns of the repository (docker's syntax, without `!` exceptions). */
function dockerignore(dir) {
  const file = join(dir, '.dockerignore');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((p) => new RegExp(`^${p.replace(/[.+^${}()|[\]]/g, '\\$&').replace(/\*\*\//g, '(?:.*/)?').replace(/\*/g, '[^/]*')}(?:/.*)?$`));
}

/**
 * Problems of a Dockerfile, a hadolint-like subset that matters here: known instructions, FROM
 * first, every stage named (`AS name`) and unique, base images pinned (a version tag, not latest),
 * `--from` and FROM naming earlier stages, no `ADD` of URLs, COPY sources present in the repository
 * and not excluded by .dockerignore, exec-form CMD/ENTRYPOINT. `claims` maps a target stage to who
 * it must run as (`non-root` or `root`), checked through the stages it is built from.
 */
export function lintDockerfile(text, { repo = root, claims = {} } = {}) {
  const problems = [];
  const ins = parseDockerfile(text);
  const stages = [];
  const ignored = dockerignore(repo);
  if (ins.find((i) => i.keyword.toUpperCase() !== 'ARG')?.keyword.toUpperCase() !== 'FROM') problems.push('the first instruction (after ARG) must be FROM');
  for (const i of ins) {
    const at = `line ${i.line}`;
    const kw = i.keyword.toUpperCase();
    if (!INSTRUCTIONS.has(kw)) {
      problems.push(`${at}: unknown instruction ${i.keyword}`);
      continue;
    }
    if (i.keyword !== kw) problems.push(`${at}: write ${kw} in upper case`);
    if (kw !== 'FROM' && kw !== 'ARG' && stages.length === 0) problems.push(`${at}: ${kw} before any FROM`);
    if (!i.args) problems.push(`${at}: ${kw} without arguments`);
    const stage = stages.at(-1);
    if (kw === 'FROM') {
      const { rest } = options(i.args);
      const [image, as, name, ...more] = rest;
      if (!/^as$/i.test(as ?? '') || !name || more.length) {
        problems.push(`${at}: FROM ${image} must name its stage (FROM <image> AS <name>)`);
      } else if (stages.some((s) => s.name === name)) {
        problems.push(`${at}: stage ${name} is named twice`);
      }
      const parent = stages.find((s) => s.name === image);
      if (!parent) {
        const tag = /^[^@]+:([^/:@]+)$/.exec(image ?? '')?.[1];
        if (!/@sha256:[0-9a-f]{64}$/.test(image ?? '') && (!tag || tag === 'latest' || !/\d+\.\d+/.test(tag))) {
          problems.push(`${at}: base image ${image} is not pinned (use a version tag such as node:20.20.0-bookworm-slim, or a digest)`);
        }
      }
      stages.push({ name: name ?? `#${stages.length}`, parent, user: parent?.user, line: i.line });
      continue;
    }
    if (!stage) continue;
    if (kw === 'USER') stage.user = i.args.split(':')[0];
    if (kw === 'ADD' && /(https?|git|ftp):\/\/|git@/.test(i.args)) problems.push(`${at}: ADD of a URL (download with a pinned checksum in RUN, or COPY)`);
    if (kw === 'COPY' || kw === 'ADD') {
      const { flags, rest } = options(i.args);
      if (rest.length < 2) problems.push(`${at}: ${kw} needs a source and a destination`);
      if (typeof flags.from === 'string') {
        if (!stages.slice(0, -1).some((s) => s.name === flags.from)) problems.push(`${at}: --from=${flags.from} is not an earlier stage`);
      } else {
        for (const src of rest.slice(0, -1).filter((s) => !/^[a-z]+:\/\//.test(s))) {
          const rel = src.replace(/^\.\//, '').replace(/\/$/, '');
          if (!existsSync(join(repo, rel))) problems.push(`${at}: COPY source ${src} does not exist in the repository`);
          else if (ignored.some((re) => re.test(rel))) problems.push(`${at}: COPY source ${src} is excluded by .dockerignore`);
        }
      }
    }
    if ((kw === 'CMD' || kw === 'ENTRYPOINT') && !isJsonArray(i.args)) problems.push(`${at}: ${kw} in exec form (a JSON array), so signals reach the process`);
  }
  for (const [target, who] of Object.entries(claims)) {
    const stage = stages.find((s) => s.name === target);
    if (!stage) {
      problems.push(`no stage ${target}`);
      continue;
    }
    const user = stage.user ?? 'root';
    const isRoot = user === 'root' || user === '0';
    if (who === 'non-root' && isRoot) problems.push(`stage ${target} runs as ${user}, claimed non-root`);
    if (who === 'root' && !isRoot) problems.push(`stage ${target} runs as ${user}, claimed root`);
  }
  return problems;
}

function isJsonArray(s) {
  try {
    const v = JSON.parse(s);
    return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string');
  } catch {
    return false;
  }
}

/** Problems of every Dockerfile of IMAGES (and the agent-CLIs target), with the user claims checked. */
export function lintImages(repo = root) {
  const byFile = new Map();
  for (const img of [...IMAGES, AGENT_CLIS_IMAGE]) byFile.set(img.dockerfile, { ...byFile.get(img.dockerfile), [img.target]: img.user });
  return [...byFile].flatMap(([file, claims]) => {
    const path = join(repo, file);
    if (!existsSync(path)) return [`${file}: missing`];
    return lintDockerfile(readFileSync(path, 'utf8'), { repo, claims }).map((p) => `${file}: ${p}`);
  });
}

/** The first builder that works here: docker with a reachable engine, podman, buildah; or why none does. */
export function findBuilder(preferred) {
  const notes = [];
  for (const b of preferred ? [preferred] : ['docker', 'podman', 'buildah']) {
    const probe = spawnSync(b, b === 'buildah' ? ['version'] : ['info'], { stdio: 'pipe', timeout: 15_000, encoding: 'utf8' });
    if (probe.error?.code === 'ENOENT') notes.push(`${b}: not installed`);
    else if (probe.status !== 0) notes.push(`${b}: installed but not usable (${(probe.stderr || probe.stdout || String(probe.error)).trim().split('\n').at(-1)})`);
    else return { builder: b, notes };
  }
  return { builder: undefined, notes };
}

async function main(argv) {
  const has = (f) => argv.includes(f);
  const pick = (f) => (argv.includes(f) ? argv[argv.indexOf(f) + 1] : undefined);
  const lint = lintImages();
  if (lint.length) {
    console.error(`Dockerfile problems:\n  ${lint.join('\n  ')}`);
    process.exit(1);
  }
  if (has('--check')) {
    console.log(`Dockerfiles OK: ${[...new Set(IMAGES.map((i) => i.dockerfile))].join(', ')}`);
    return;
  }
  const { builder, notes } = has('--dry-run') ? { builder: undefined, notes: ['--dry-run'] } : findBuilder(pick('--builder'));
  const cmds = buildCommands(builder ?? pick('--builder') ?? 'docker', { tag: pick('--tag') ?? imageTag(), agentClis: has('--agent-clis') });
  const shown = (c) => c.map((w) => (/[\s"']/.test(w) ? `'${w}'` : w)).join(' ');
  if (!builder) {
    console.log(`No image builder available here (${notes.join('; ')}): nothing built.`);
    console.log(`With docker, podman or buildah, from ${root}, this would run:\n`);
    for (const c of cmds) console.log(`  ${shown(c)}`);
    console.log('\nThen load them into the cluster (kind: `kind load docker-image shoal/coordinator:<tag> shoal/node-agent:<tag>`); see docs/deploy.md.');
    return;
  }
  for (const c of cmds) {
    console.log(`$ ${shown(c)}`);
    execFileSync(c[0], c.slice(1), { cwd: root, stdio: 'inherit' });
  }
  console.log(`built: ${cmds.map((c) => c[c.length - 2]).join(', ')}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main(process.argv.slice(2));
}

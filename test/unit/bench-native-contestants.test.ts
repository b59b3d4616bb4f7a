/**
 * The REST group's native contestants and its targets line, without starting anything:
 * the generated nginx and haproxy configs, where the bench looks for their programs (and
 * that smoke mode never installs one), and the line comparing the partner BFF with nginx.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BENCH_GROUPS, type PeerTargets } from '../bench/contestants';
import { locateBinary, provideBinary } from '../bench/native-binary';
import { haproxyCommand, nginxCommand, type ProxyTarget } from '../bench/proxy-configs';
import { failedResult, formatGroup, formatTargets, skippedResult, withRatios, type ContestantResult, type GroupResult } from '../bench/report';

const TARGET: ProxyTarget = { port: 41234, upstreamOrigin: 'http://127.0.0.1:45678', dir: '/tmp/portico-bench/rest/proxy' };

describe('generated proxy configs', () => {
  it('runs nginx as one foreground process on loopback, proxying to the upstream over a keep-alive pool, with no access log', () => {
    const { argv, files } = nginxCommand('/usr/sbin/nginx', TARGET);
    expect(argv).toEqual(['/usr/sbin/nginx', '-p', `${TARGET.dir}/`, '-c', `${TARGET.dir}/nginx.conf`, '-e', 'stderr']);
    const config = files['nginx.conf'] ?? '';
    for (const line of ['master_process off;', 'daemon off;', 'access_log off;', 'listen 127.0.0.1:41234;', 'server 127.0.0.1:45678;', 'keepalive 64;', 'proxy_http_version 1.1;', 'proxy_set_header Connection "";']) {
      expect(config).toContain(line);
    }
    // Every file nginx writes stays in the contestant's folder.
    expect(config).toContain(`error_log ${TARGET.dir}/error.log`);
    expect(config).toContain(`pid ${TARGET.dir}/nginx.pid;`);
  });

  it('runs haproxy in the foreground with one thread, in http mode with keep-alive, on loopback', () => {
    const { argv, files } = haproxyCommand('/usr/sbin/haproxy', TARGET);
    expect(argv).toEqual(['/usr/sbin/haproxy', '-db', '-f', `${TARGET.dir}/haproxy.cfg`]);
    const config = files['haproxy.cfg'] ?? '';
    for (const line of ['nbthread 1', 'mode http', 'option http-keep-alive', 'bind 127.0.0.1:41234', 'server products 127.0.0.1:45678']) expect(config).toContain(line);
  });

  it('refuses an upstream it cannot proxy to', () => {
    expect(() => nginxCommand('/usr/sbin/nginx', { ...TARGET, upstreamOrigin: 'https://127.0.0.1:45678' })).toThrow(/only http/);
  });
});

describe('the programs of native contestants', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'portico-native-bin-'));
    const fake = path.join(dir, 'portico-fake-proxy');
    writeFileSync(fake, '#!/bin/sh\n');
    chmodSync(fake, 0o755);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds a program on PATH', () => {
    expect(locateBinary('portico-fake-proxy', { PATH: `/nonexistent${path.delimiter}${dir}` })).toBe(path.join(dir, 'portico-fake-proxy'));
  });

  it('skips a missing program in smoke mode, with the reason, without installing anything', async () => {
    const logged: string[] = [];
    const found = await provideBinary({ name: 'portico-no-such-proxy', debianPackages: ['portico-no-such-package'] }, 'smoke', (line) => logged.push(line));
    expect(found).toEqual({ skip: expect.stringMatching(/^portico-no-such-proxy is not installed \(smoke mode installs nothing/) });
    expect(logged).toEqual([]);
  });

  it('lists nginx and haproxy in the REST group, between the upstream called directly and the Node contestants', () => {
    const rest = BENCH_GROUPS.find((g) => g.id === 'rest');
    expect(rest?.contestants.map((c) => `${c.kind}:${c.id}`)).toEqual([
      'node:direct-upstream',
      'native:nginx',
      'native:haproxy',
      'node:node-proxy-floor',
      'node:fastify-http-proxy',
      'node:partner-policies-on',
      'node:partner-policies-on-full-pipeline',
      'node:partner-policies-off',
    ]);
  });
});

describe('the targets line under the REST table', () => {
  const targets: PeerTargets = { subjectId: 'partner-policies-on', referenceId: 'nginx', maxCpuRatio: 2, maxP99Ratio: 2, minRpsRatio: 0.6, maxPeakRssMiB: 128 };

  function measured(id: string, baseline: boolean, figures: { rps: number; cpu: number; p99: number; rss: number }): ContestantResult {
    return { ...failedResult({ id, description: id, baseline }, ''), ok: true, failure: null, rps: figures.rps, cpuUsPerRequest: figures.cpu, p99Ms: figures.p99, peakRssMiB: figures.rss, errors: 0 };
  }

  const direct = measured('direct-upstream', true, { rps: 40_000, cpu: 20, p99: 2, rss: 130 });
  const partner = measured('partner-policies-on', false, { rps: 8_000, cpu: 160, p99: 12, rss: 210 });

  function group(contestants: ContestantResult[]): GroupResult {
    return { id: 'rest', title: 'REST, one product', baselineId: 'direct-upstream', responseBytes: 194, contestants: withRatios(contestants), targets };
  }

  it('sets the partner against nginx: CPU and p99 ratios, RPS to the baseline and peak RSS, each with its target', () => {
    const nginx = measured('nginx', false, { rps: 34_000, cpu: 32, p99: 3, rss: 13 });
    expect(formatTargets(group([direct, nginx, partner]))).toBe(
      'partner-policies-on vs nginx: CPU/req 5.00x (target <= 2x), p99 4.00x (target <= 2x); RPS 0.20x the baseline (target >= 0.6x), peak RSS 210 MiB (target <= 128 MiB)',
    );
    expect(formatGroup(group([direct, nginx, partner]))).toContain('\n  partner-policies-on vs nginx: CPU/req 5.00x');
  });

  it('prints no such line when nginx was skipped, and shows the skip with its reason instead', () => {
    const skipped = skippedResult({ id: 'nginx', description: 'nginx', baseline: false }, 'nginx is not installed');
    const rest = group([direct, skipped, partner]);
    expect(formatTargets(rest)).toBeUndefined();
    const table = formatGroup(rest);
    expect(table).not.toContain(' vs nginx');
    expect(table).toMatch(/\n {2}nginx +SKIPPED /);
    expect(table).toContain('  - nginx skipped: nginx is not installed');
  });
});

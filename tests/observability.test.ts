// The monitoring in deploy/ read against the code it watches: an alert or a dashboard panel
// on a metric nobody exports never fires and never draws, and nothing else would say so.
// Also: every alert says how bad it is and where its runbook is, the dashboard is one
// Grafana can load, and docker-compose's observability profile scrapes every service.
// (promtool checks the rules' PromQL and their behaviour: deploy/prometheus/tests/.)
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { fromRoot } from '../platform/paths.js';

const SERVICES = ['gateway', 'users', 'inventory', 'orders', 'notifications'];

/**
 * Names other branches are adding (issue #19): the rules and the dashboard already read them.
 * Once a name is exported, it comes off this list (a test below says so).
 */
const PENDING: string[] = [];

const read = (file: string) => readFileSync(fromRoot(file), 'utf8');
const rules = parse(read('deploy/prometheus/rules/supergraph.rules.yml')) as {
  groups: { name: string; rules: { alert?: string; record?: string; expr: string; labels?: Record<string, string>; annotations?: Record<string, string> }[] }[];
};
const allRules = rules.groups.flatMap((group) => group.rules);
const dashboard = JSON.parse(read('deploy/grafana/dashboards/supergraph.json'));
const panels: any[] = dashboard.panels;

/** Every .ts file under the application folders (not generated code). */
function sources(dir: string): string[] {
  return readdirSync(fromRoot(dir), { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'generated' ? [] : sources(file);
    return entry.name.endsWith('.ts') ? [file] : [];
  });
}

/** Metric names the services register: prom-client constructors and scrape-time gauges. */
async function exportedNames(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const file of ['platform', 'gateway', 'subgraphs'].flatMap(sources)) {
    const text = read(file);
    for (const match of text.matchAll(/new (Counter|Gauge|Histogram|Summary)\(\{\s*name: '([a-z_:][a-z0-9_:]*)'/g)) {
      names.add(match[2]!);
      if (match[1] === 'Histogram' || match[1] === 'Summary') for (const suffix of ['_bucket', '_count', '_sum']) names.add(match[2]! + suffix);
    }
    for (const match of text.matchAll(/scrapeTimeGauge\([^,]+,\s*'([a-z_:][a-z0-9_:]*)'/g)) names.add(match[1]!);
  }
  const defaults = new Registry();
  collectDefaultMetrics({ register: defaults });
  for (const metric of await defaults.getMetricsAsJSON()) {
    names.add(metric.name);
    if (String(metric.type) === 'histogram') for (const suffix of ['_bucket', '_count', '_sum']) names.add(metric.name + suffix);
  }
  names.add('up'); // Prometheus's own, per target
  return names;
}

const PROMQL_WORDS = new Set(
  ('sum min max avg count stddev stdvar topk bottomk quantile count_values group by without on ignoring group_left group_right ' +
    'and or unless offset bool rate irate increase delta idelta deriv resets changes histogram_quantile absent absent_over_time ' +
    'avg_over_time max_over_time min_over_time sum_over_time count_over_time label_replace label_values vector scalar clamp_max ' +
    'clamp_min round time predict_linear inf nan')
    .split(' '),
);

/** The metric names a PromQL expression reads (label names, functions and keywords left out). */
function metricsIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // label values, regexes
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // label lists
    .replace(/\$\w+/g, ' '); // Grafana variables
  const names = [...bare.matchAll(/(?<![\w.:])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:]|\s*\()/g)].map((match) => match[1]!);
  return names.filter((name) => !PROMQL_WORDS.has(name) && !/^\d/.test(name));
}

const panelExprs = () => panels.flatMap((panel) => (panel.targets ?? []).map((target: { expr: string }) => ({ panel: panel.title as string, expr: target.expr })));

describe('metric names', () => {
  it('every metric an alert, a recording rule or a panel reads is exported by a service (or recorded by a rule)', async () => {
    const known = await exportedNames();
    const recorded = new Set(allRules.flatMap((rule) => (rule.record ? [rule.record] : [])));
    const unknown = new Set<string>();
    for (const { expr } of [...allRules, ...panelExprs()]) {
      for (const name of metricsIn(expr)) if (!known.has(name) && !recorded.has(name) && !PENDING.includes(name)) unknown.add(name);
    }
    expect([...unknown]).toEqual([]);
  });

  it('reads each name the README documents', () => {
    const read = new Set([...allRules, ...panelExprs()].flatMap(({ expr }) => metricsIn(expr)));
    for (const name of ['graphql_request_duration_seconds_count', 'graphql_errors_total', 'upstream_call_duration_seconds_bucket', 'circuit_breaker_open',
      'db_query_duration_seconds_count', 'outbox_backlog', 'outbox_oldest_event_age_seconds', 'outbox_publish_lag_seconds_bucket',
      'event_delivery_lag_seconds_bucket', 'order_events_received_total', 'notification_sends_total', 'notifications_pending']) {
      expect(read).toContain(name);
    }
  });

  it('lists as pending only names no service exports yet', async () => {
    const known = await exportedNames();
    expect(PENDING.filter((name) => known.has(name))).toEqual([]);
  });
});

describe('alert rules', () => {
  const alerts = allRules.filter((rule) => rule.alert);
  const operations = read('docs/operations.md');
  // GitHub's anchors: lower case, punctuation dropped, spaces to hyphens.
  const anchors = new Set([...operations.matchAll(/^#+ (.+)$/gm)].map((match) => match[1]!.toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-')));

  it('say how urgent they are: page or ticket', () => {
    for (const alert of alerts) expect([alert.alert, alert.labels?.severity]).toEqual([alert.alert, expect.stringMatching(/^(page|ticket)$/)]);
  });

  it('each point to a runbook section of docs/operations.md that exists', () => {
    for (const alert of alerts) {
      const runbook = alert.annotations?.runbook ?? '';
      expect([alert.alert, runbook]).toEqual([alert.alert, expect.stringMatching(/^docs\/operations\.md#/)]);
      expect([alert.alert, anchors.has(runbook.split('#')[1]!)]).toEqual([alert.alert, true]);
    }
  });

  it('watch only jobs that are the services’ names', () => {
    for (const rule of allRules) {
      for (const match of rule.expr.matchAll(/job=~"([^"]+)"/g)) expect(match[1]!.split('|').sort()).toEqual([...SERVICES].sort());
    }
  });
});

describe('the Grafana dashboard', () => {
  const datasources = parse(read('deploy/grafana/provisioning/datasources/supergraph.yml')).datasources as { uid: string; type: string }[];

  it('has unique panel ids, each panel inside the 24-column grid', () => {
    const ids = panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of panels) expect(panel.gridPos.x + panel.gridPos.w).toBeLessThanOrEqual(24);
  });

  it('queries only the provisioned Prometheus data source', () => {
    const prometheus = datasources.find((source) => source.type === 'prometheus')!;
    for (const panel of panels.filter((each) => each.type !== 'row')) {
      expect([panel.title, panel.datasource?.uid]).toEqual([panel.title, prometheus.uid]);
      for (const target of panel.targets) expect(target.datasource.uid).toBe(prometheus.uid);
    }
  });

  it('shows what operators asked for: request rate, errors by code, latency, upstreams and circuits, SQL per request, outbox lag', () => {
    const titles = panels.map((panel) => panel.title as string).join('\n');
    for (const wanted of [/Requests per second/, /Errors per second by code/, /Gateway latency/, /Upstream call latency/, /Circuit breaker state/, /SQL statements per GraphQL request/, /Outbox backlog/, /Event lag/]) {
      expect(titles).toMatch(wanted);
    }
  });

  it('is loaded from the folder the provisioning file names, which docker-compose mounts', () => {
    const provider = parse(read('deploy/grafana/provisioning/dashboards/supergraph.yml')).providers[0];
    const compose = parse(read('docker-compose.yml'), { merge: true });
    expect(compose.services.grafana.volumes).toContain(`./deploy/grafana/dashboards:${provider.options.path}:ro`);
  });
});

describe('docker-compose observability profile', () => {
  const compose = parse(read('docker-compose.yml'), { merge: true });
  const prometheus = parse(read('deploy/prometheus/prometheus.yml'));

  it('keeps the default stack small: Prometheus, Grafana and Jaeger start only with the profile', () => {
    for (const name of ['prometheus', 'grafana', 'jaeger']) expect(compose.services[name].profiles).toEqual(['observability']);
    for (const name of [...SERVICES, 'postgres', 'redis', 'nats']) expect(compose.services[name].profiles).toBeUndefined();
  });

  it('scrapes every service, as its own job, on the metrics port the service is given', () => {
    const jobs = Object.fromEntries(prometheus.scrape_configs.map((config: any) => [config.job_name, config]));
    for (const name of SERVICES) {
      const port = Number(compose.services[name].environment[`${name.toUpperCase()}_METRICS_PORT`]);
      expect(port).toBeGreaterThan(0);
      expect(jobs[name].dns_sd_configs[0]).toMatchObject({ names: [name], port });
    }
  });

  it('loads the alert rules it is given', () => {
    expect(prometheus.rule_files).toEqual(['rules/*.yml']);
    expect(compose.services.prometheus.volumes).toContain('./deploy/prometheus/rules:/etc/prometheus/rules:ro');
  });
});

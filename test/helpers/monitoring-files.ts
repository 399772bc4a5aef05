// Reads the monitoring profile's files (docs/design.md §10): the Prometheus config, Grafana's provisioning and
// the dashboard, and takes the dashboard's PromQL apart with Prometheus' own grammar (@prometheus-io/lezer-promql),
// for test/compose-monitoring.test.ts (static checks) and test/compose-netns.test.ts (against live nodes).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parser } from '@prometheus-io/lezer-promql'
import { parse as parseYaml } from 'yaml'
import { repoRoot } from './compose-files.js'

export const PROMETHEUS_CONFIG = join(repoRoot, 'monitoring', 'prometheus', 'prometheus.yml')
export const DASHBOARD = join(repoRoot, 'monitoring', 'grafana', 'dashboards', 'gossipchain.json')
export const GRAFANA_DATASOURCES = join(repoRoot, 'monitoring', 'grafana', 'provisioning', 'datasources', 'prometheus.yml')
export const GRAFANA_DASHBOARD_PROVIDERS = join(repoRoot, 'monitoring', 'grafana', 'provisioning', 'dashboards', 'gossipchain.yml')

export interface ScrapeConfig {
  job_name: string
  metrics_path?: string
  static_configs?: Array<{ targets: string[] }>
  dns_sd_configs?: Array<{ names: string[], type?: string, port?: number }>
  relabel_configs?: Array<{ source_labels?: string[], regex?: string, target_label?: string, replacement?: string }>
}

export function readPrometheusConfig (): { global?: Record<string, string>, scrape_configs: ScrapeConfig[] } {
  return parseYaml(readFileSync(PROMETHEUS_CONFIG, 'utf8'))
}

export interface DashboardTarget { refId: string, expr: string, legendFormat?: string, datasource?: { type: string, uid: string } }
export interface DashboardPanel {
  id: number
  type: string
  title: string
  gridPos: { x: number, y: number, w: number, h: number }
  datasource?: { type: string, uid: string }
  targets?: DashboardTarget[]
  fieldConfig?: { defaults?: { unit?: string } }
}
export interface Dashboard {
  uid: string
  title: string
  panels: DashboardPanel[]
  templating: { list: Array<{ name: string, type: string, query?: { query: string } | string, datasource?: { uid: string } }> }
}

export function readDashboard (): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard
}

/** Every panel query of the dashboard, with the panel it belongs to. */
export function dashboardQueries (dashboard: Dashboard): Array<{ panel: DashboardPanel, target: DashboardTarget }> {
  return dashboard.panels.filter(panel => panel.type !== 'row')
    .flatMap(panel => (panel.targets ?? []).map(target => ({ panel, target })))
}

/**
 * A dashboard expression as Prometheus receives it from Grafana: the template variable `$instance` and
 * Grafana's `$__rate_interval` / `$__interval` / `$__range` replaced (`All` sends `.*`).
 */
export function expandGrafanaVariables (expr: string, rateInterval = '1m'): string {
  return expr
    .replaceAll('$__rate_interval', rateInterval)
    .replaceAll('$__interval', rateInterval)
    .replaceAll('$__range', rateInterval)
    .replaceAll('$instance', '.*')
}

/**
 * The metric names a PromQL expression selects: the name of every vector selector (and `{__name__="x"}`).
 * Throws when Prometheus' grammar finds a syntax error in it.
 */
export function promqlMetricNames (expr: string): string[] {
  const tree = parser.parse(expr)
  const names = new Set<string>()
  let error: number | undefined
  tree.iterate({
    enter: node => {
      if (node.type.isError) error ??= node.from
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') names.add(expr.slice(node.from, node.to))
      if (node.name === 'UnquotedLabelMatcher') {
        const match = /^__name__\s*=\s*"([^"]+)"$/.exec(expr.slice(node.from, node.to))
        if (match !== null) names.add(match[1])
      }
    }
  })
  if (error !== undefined) throw new SyntaxError(`PromQL syntax error at ${error}: ${expr.slice(0, error)} >>> ${expr.slice(error)}`)
  return [...names]
}

/**
 * The metric families a Prometheus text exposition declares (`# TYPE name type`), with the sample names
 * each one exports: histograms and summaries as name_bucket/_sum/_count (and name itself for summaries).
 */
export function exportedSampleNames (metricsText: string): Set<string> {
  const names = new Set<string>()
  for (const match of metricsText.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = match
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix)
    else if (type === 'summary') for (const suffix of ['', '_sum', '_count']) names.add(name + suffix)
    else names.add(name)
  }
  return names
}

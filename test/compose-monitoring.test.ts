// The compose file's monitoring profile (docs/design.md §10): `docker compose --profile monitoring up -d` adds
// Prometheus, scraping every node's /metrics, and Grafana with the provisioned gossipchain dashboard. This
// file checks the files statically: promtool on the Prometheus config, the scrape targets against the
// compose services and their configs, Grafana's provisioning against the compose mounts, and every
// dashboard query through Prometheus' own PromQL grammar. test/compose-netns.test.ts runs Debian's
// Prometheus with the same config against live nodes and evaluates the dashboard's queries there.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect } from 'chai'
import { parse as parseYaml } from 'yaml'
import { loadConfig } from '../src/config.js'
import { containerArgv, portMappings, readComposeFile, readDockerfile, repoRoot, startedServices } from './helpers/compose-files.js'
import {
  dashboardQueries, expandGrafanaVariables, GRAFANA_DASHBOARD_PROVIDERS, GRAFANA_DATASOURCES, PROMETHEUS_CONFIG,
  promqlMetricNames, readDashboard, readPrometheusConfig
} from './helpers/monitoring-files.js'

const compose = readComposeFile()
const NODES = startedServices(compose, {})

function httpPortOf (service: string): number {
  const argv = containerArgv(compose, readDockerfile(), service)
  return loadConfig({ file: join(repoRoot, argv[argv.indexOf('--config') + 1]), env: {} }).httpPort
}

/** A compose volume `./host/path:/container/path[:ro]` as host path (repository-relative) and target. */
function bindMounts (service: string): Array<{ source: string, target: string, readOnly: boolean }> {
  return (compose.services[service].volumes ?? []).map(String).filter(volume => volume.startsWith('./')).map(volume => {
    const [source, target, mode] = volume.split(':')
    return { source: source.slice(2), target, readOnly: mode === 'ro' }
  })
}

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' })
const promtoolVersion = promtool.status === 0 ? /promtool, version (\S+)/.exec(`${promtool.stdout}${promtool.stderr}`)?.[1] : undefined

describe(promtoolVersion === undefined
  ? 'promtool check config - skipped: promtool is not installed (apt-get install prometheus)'
  : `promtool ${promtoolVersion} check config`, () => {
  before(function () { if (promtoolVersion === undefined) this.skip() })

  it('accepts monitoring/prometheus/prometheus.yml', () => {
    const result = spawnSync('promtool', ['check', 'config', PROMETHEUS_CONFIG], { encoding: 'utf8', timeout: 20_000 })
    expect(result.status, `${result.stdout}${result.stderr}`).to.equal(0)
    expect(result.stdout).to.include('SUCCESS')
  })

  it('rejects a broken copy (the check can fail)', () => {
    const broken = readFileSync(PROMETHEUS_CONFIG, 'utf8').replace('scrape_interval: 5s', 'scrape_interval: soon')
    const result = spawnSync('promtool', ['check', 'config', '/dev/stdin'], { input: broken, encoding: 'utf8', timeout: 20_000 })
    expect(result.status).to.not.equal(0)
  })
})

describe('monitoring profile: Prometheus (docs/design.md §10)', () => {
  const config = readPrometheusConfig()
  const job = (name: string): NonNullable<typeof config.scrape_configs>[number] => {
    const found = config.scrape_configs.find(scrape => scrape.job_name === name)
    if (found === undefined) throw new Error(`prometheus.yml: no job ${name}`)
    return found
  }

  it('the compose service runs prom/prometheus on the mounted config, published on 127.0.0.1:9090 only', () => {
    const service = compose.services.prometheus
    expect(service.image).to.match(/^prom\/prometheus:v\d+\.\d+\.\d+$/)
    const mount = bindMounts('prometheus').find(m => m.source === 'monitoring/prometheus/prometheus.yml')
    expect(mount?.readOnly).to.equal(true)
    expect(service.command).to.include(`--config.file=${mount?.target}`)
    expect(portMappings(service)).to.deep.equal([{ hostIp: '127.0.0.1', published: 9090, target: 9090, protocol: 'tcp' }])
  })

  it('job gossipchain scrapes /metrics of node-1..4 by service name at the facade port of each config', () => {
    const nodes = job('gossipchain')
    expect(nodes.metrics_path).to.equal('/metrics')
    expect(nodes.static_configs?.flatMap(s => s.targets)).to.deep.equal(NODES.map(name => `${name}:${httpPortOf(name)}`))
  })

  it('labels each node instance="node-N" (the relabel regex, anchored as Prometheus anchors it)', () => {
    const [rule] = job('gossipchain').relabel_configs ?? []
    expect(rule?.source_labels).to.deep.equal(['__address__'])
    expect(rule?.target_label).to.equal('instance')
    const regex = new RegExp(`^(?:${rule?.regex ?? ''})$`)
    for (const name of NODES) {
      const address = `${name}:${httpPortOf(name)}`
      expect(address.replace(regex, rule?.replacement ?? '$1'), address).to.equal(name)
    }
  })

  it('job gossipchain-peers finds every `peer` replica by DNS at the facade port of config/peer.json', () => {
    const peers = job('gossipchain-peers')
    expect(peers.metrics_path).to.equal('/metrics')
    expect(peers.dns_sd_configs).to.deep.equal([{ names: ['peer'], type: 'A', port: httpPortOf('peer'), refresh_interval: '15s' }])
  })

  it('scrapes often enough to see each block: the interval is under node-1\'s mineInterval', () => {
    const seconds = Number(/^(\d+)s$/.exec(config.global?.scrape_interval ?? '')?.[1])
    expect(seconds * 1000).to.be.lessThan(loadConfig({ file: join(repoRoot, 'config/node-1.json'), env: {} }).mineInterval)
  })
})

describe('monitoring profile: Grafana and the gossipchain dashboard (docs/design.md §10)', () => {
  const dashboard = readDashboard()
  const datasources = parseYaml(readFileSync(GRAFANA_DATASOURCES, 'utf8')) as { datasources: Array<{ uid: string, type: string, url: string, isDefault?: boolean }> }
  const providers = parseYaml(readFileSync(GRAFANA_DASHBOARD_PROVIDERS, 'utf8')) as { providers: Array<{ type: string, options: { path: string } }> }
  const queries = dashboardQueries(dashboard)

  it('the data source is the compose service prometheus, by a fixed uid', () => {
    expect(datasources.datasources).to.have.length(1)
    const [source] = datasources.datasources
    expect(source.type).to.equal('prometheus')
    expect(source.url).to.equal(`http://prometheus:${portMappings(compose.services.prometheus)[0].target}`)
    expect(source.isDefault).to.equal(true)
  })

  it('the compose service (a pinned Grafana) mounts the provisioning and the dashboards where the provider and the home dashboard look', () => {
    expect(compose.services.grafana.image).to.match(/^grafana\/grafana:\d+\.\d+\.\d+$/)
    const mounts = bindMounts('grafana')
    const provisioning = mounts.find(m => m.source === 'monitoring/grafana/provisioning')
    const dashboards = mounts.find(m => m.source === 'monitoring/grafana/dashboards')
    expect(provisioning?.target).to.equal('/etc/grafana/provisioning')
    expect(provisioning?.readOnly && dashboards?.readOnly).to.equal(true)
    expect(providers.providers.map(p => [p.type, p.options.path])).to.deep.equal([['file', dashboards?.target]])
    const environment = compose.services.grafana.environment as Record<string, string>
    expect(environment.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH).to.equal(`${dashboards?.target}/gossipchain.json`)
    expect(existsSync(join(repoRoot, 'monitoring/grafana/dashboards/gossipchain.json'))).to.equal(true)
    expect(portMappings(compose.services.grafana)).to.deep.equal([{ hostIp: '127.0.0.1', published: 3000, target: 3000, protocol: 'tcp' }])
  })

  it('every panel and query uses that data source; panels do not overlap on the 24-column grid', () => {
    const uid = datasources.datasources[0].uid
    const cells = new Set<string>()
    for (const panel of dashboard.panels) {
      const { x, y, w, h } = panel.gridPos
      expect(x + w, panel.title).to.be.at.most(24)
      for (let col = x; col < x + w; col++) {
        for (let row = y; row < y + h; row++) {
          expect(cells.has(`${col},${row}`), `${panel.title} overlaps another panel at ${col},${row}`).to.equal(false)
          cells.add(`${col},${row}`)
        }
      }
      if (panel.type === 'row') continue
      expect(panel.datasource?.uid, panel.title).to.equal(uid)
      expect(panel.targets ?? [], `${panel.title} has queries`).to.not.have.length(0)
    }
    for (const { panel, target } of queries) expect(target.datasource?.uid, `${panel.title} ${target.refId}`).to.equal(uid)
    for (const variable of dashboard.templating.list) expect(variable.datasource?.uid, variable.name).to.equal(uid)
  })

  it('every query parses with Prometheus\' grammar and selects only gossipchain_* metrics, filtered by the node variable', () => {
    for (const { panel, target } of queries) {
      const names = promqlMetricNames(expandGrafanaVariables(target.expr))
      expect(names, `${panel.title}: ${target.expr}`).to.not.have.length(0)
      for (const name of names) expect(name, panel.title).to.match(/^gossipchain_/)
      expect(target.expr, `${panel.title}: ${target.expr}`).to.include('{instance=~"$instance"}')
    }
    const variable = dashboard.templating.list.find(v => v.name === 'instance')
    const query = typeof variable?.query === 'string' ? variable.query : variable?.query?.query
    expect(query).to.equal('label_values(gossipchain_chain_height, instance)')
  })

  it('shows what the design asks: propagation delay, validation outcomes, mesh peers and head height per node', () => {
    const used = (name: string): string[] => queries.filter(q => promqlMetricNames(expandGrafanaVariables(q.target.expr)).includes(name)).map(q => q.panel.title)
    expect(used('gossipchain_gossip_propagation_delay_seconds_bucket')).to.not.have.length(0)
    expect(used('gossipchain_gossip_messages_total')).to.not.have.length(0)
    expect(used('gossipchain_mesh_peers')).to.not.have.length(0)
    expect(used('gossipchain_chain_height')).to.not.have.length(0)
    // Per node: a legend that names the instance.
    const height = queries.find(q => q.target.expr.startsWith('gossipchain_chain_height'))
    expect(height?.target.legendFormat).to.equal('{{instance}}')
    const delays = queries.filter(q => q.target.expr.includes('propagation_delay')).map(q => q.panel.fieldConfig?.defaults?.unit)
    expect(new Set(delays)).to.deep.equal(new Set(['s']))
  })

  it('the PromQL reader finds selectors and reports syntax errors (it can fail)', () => {
    expect(promqlMetricNames('sum by (topic) (rate(a_total{x="1"}[1m])) / on() group_left b or {__name__="c"}').sort()).to.deep.equal(['a_total', 'b', 'c'])
    expect(() => promqlMetricNames('sum(rate(a_total[1m])')).to.throw(SyntaxError)
  })
})

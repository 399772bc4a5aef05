// deploy/kubernetes/gossipchain.yaml (docs/design.md §13): validated against the Kubernetes API schemas with
// kubernetes-models (the JSON schemas of Kubernetes 1.27), then checked for what makes the network work:
// stable identity on volumes, discovery by the headless Service's DNS names, probes on /health, scrape
// annotations. The pod's start script runs here with a stand-in `node` that prints what it was given,
// and the resulting environment goes through the real config loader.
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { StatefulSet, type IStatefulSet } from 'kubernetes-models/apps/v1'
import { ConfigMap, Service, type IConfigMap, type IService } from 'kubernetes-models/v1'
import { parseAllDocuments } from 'yaml'
import { loadConfig } from '../src/config.js'
import { readDockerfile, repoRoot, stageEnvironment } from './helpers/compose-files.js'

const MANIFEST = join(repoRoot, 'deploy', 'kubernetes', 'gossipchain.yaml')
const MODELS = { 'v1/Service': Service, 'v1/ConfigMap': ConfigMap, 'apps/v1/StatefulSet': StatefulSet } as const

interface Manifest { apiVersion: string, kind: string, metadata: { name: string } }

function readManifests (): Manifest[] {
  return parseAllDocuments(readFileSync(MANIFEST, 'utf8')).map(doc => {
    if (doc.errors.length > 0) throw new Error(`${MANIFEST}: ${doc.errors[0].message}`)
    return doc.toJS() as Manifest
  })
}

describe('deploy/kubernetes/gossipchain.yaml (docs/design.md §13)', () => {
  const manifests = readManifests()
  const find = <T>(kind: string, name: string): T => {
    const found = manifests.find(m => m.kind === kind && m.metadata.name === name)
    if (found === undefined) throw new Error(`no ${kind} ${name} in ${MANIFEST}`)
    return found as T
  }
  const sts = find<IStatefulSet>('StatefulSet', 'gossipchain')
  const headless = find<IService>('Service', 'gossipchain')
  const podSpec = sts.spec!.template.spec!
  const container = podSpec.containers[0]
  const env = (name: string): string | undefined => container.env?.find(e => e.name === name)?.value

  it('every document validates against the Kubernetes schema of its kind (kubernetes-models)', () => {
    expect(manifests.map(m => `${m.kind}/${m.metadata.name}`)).to.deep.equal([
      'Service/gossipchain', 'Service/gossipchain-http', 'ConfigMap/gossipchain-config', 'StatefulSet/gossipchain'
    ])
    for (const manifest of manifests) {
      const Model = MODELS[`${manifest.apiVersion}/${manifest.kind}` as keyof typeof MODELS]
      expect(Model, `${manifest.apiVersion} ${manifest.kind}`).to.not.equal(undefined)
      expect(() => new Model(manifest as never).validate(), `${manifest.kind}/${manifest.metadata.name}`).to.not.throw()
    }
  })

  it('the validation catches a broken manifest (it can fail)', () => {
    const broken = structuredClone(sts) as unknown as { spec: { replicas: unknown, selector?: unknown } }
    broken.spec.replicas = 'four'
    expect(() => new StatefulSet(broken as IStatefulSet).validate()).to.throw(/replicas/)
    delete broken.spec.selector
    broken.spec.replicas = 4
    expect(() => new StatefulSet(broken as IStatefulSet).validate()).to.throw(/selector/)
  })

  it('a headless Service governs the StatefulSet, publishes addresses before readiness and selects its pods', () => {
    expect(headless.spec?.clusterIP).to.equal('None')
    expect(headless.spec?.publishNotReadyAddresses).to.equal(true)
    expect(sts.spec?.serviceName).to.equal(headless.metadata?.name)
    const podLabels = sts.spec?.template.metadata?.labels ?? {}
    for (const [key, value] of Object.entries(sts.spec?.selector.matchLabels ?? {})) expect(podLabels[key], key).to.equal(value)
    for (const [key, value] of Object.entries(headless.spec?.selector ?? {})) expect(podLabels[key], key).to.equal(value)
    const ports = Object.fromEntries((container.ports ?? []).map(p => [p.name, p.containerPort]))
    expect(headless.spec?.ports?.map(p => [p.name, p.targetPort])).to.deep.equal([['p2p', 'p2p'], ['http', 'http']])
    expect(ports).to.deep.equal({ http: 8000, p2p: 9000 })
  })

  it('stable identity: each pod keeps /data (chain and libp2p key) on its own PersistentVolumeClaim', () => {
    const [claim] = sts.spec?.volumeClaimTemplates ?? []
    expect(claim?.spec?.accessModes).to.deep.equal(['ReadWriteOnce'])
    const mount = container.volumeMounts?.find(m => m.name === claim?.metadata?.name)
    expect(mount?.mountPath).to.equal('/data')
    expect(env('GOSSIPCHAIN_DATA_DIR')).to.equal('/data')
    // The image's user (uid 1000) can write to the volume.
    expect(podSpec.securityContext?.fsGroup).to.equal(1000)
    expect(podSpec.securityContext?.runAsUser).to.equal(1000)
    expect(podSpec.securityContext?.runAsNonRoot).to.equal(true)
    expect(stageEnvironment(readDockerfile().at(-1)!).GOSSIPCHAIN_DATA_DIR).to.equal('/data')
  })

  it('readiness and liveness probes ask GET /health on the facade port', () => {
    for (const probe of [container.readinessProbe, container.livenessProbe]) {
      expect(probe?.httpGet?.path).to.equal('/health')
      expect(probe?.httpGet?.port).to.equal('http')
    }
  })

  it('pods carry the Prometheus scrape annotations for /metrics on the facade port', () => {
    const annotations = sts.spec?.template.metadata?.annotations ?? {}
    expect(annotations).to.include({ 'prometheus.io/scrape': 'true', 'prometheus.io/path': '/metrics', 'prometheus.io/port': '8000' })
  })

  it('the ConfigMap is a valid node config: facade on 0.0.0.0:8000, p2p on 9000, one network', () => {
    const configMap = find<IConfigMap>('ConfigMap', 'gossipchain-config')
    const mount = container.volumeMounts?.find(m => m.mountPath === '/etc/gossipchain')
    expect(podSpec.volumes?.find(v => v.name === mount?.name)?.configMap?.name).to.equal(configMap.metadata?.name)
    const dir = mkdtempSync(join(tmpdir(), 'gossipchain-k8s-'))
    try {
      writeFileSync(join(dir, 'node.json'), configMap.data?.['node.json'] ?? '')
      const config = loadConfig({ file: join(dir, 'node.json'), env: {} })
      expect([config.httpHost, config.httpPort, config.p2pHost, config.p2pPort]).to.deep.equal(['0.0.0.0', 8000, '0.0.0.0', 9000])
      expect(config.network).to.deep.equal(loadConfig({ file: join(repoRoot, 'config/node-1.json'), env: {} }).network)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  describe('the pod start script, run with the pod name of each ordinal', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gossipchain-k8s-start-'))
    after(() => rmSync(dir, { recursive: true, force: true }))
    const configMap = find<IConfigMap>('ConfigMap', 'gossipchain-config')

    /** Runs the container's command + args in `sh` with the pod's env; a stand-in `node` prints argv and env. */
    function start (podName: string): { argv: string[], env: Record<string, string> } {
      writeFileSync(join(dir, 'node'), '#!/bin/sh\nprintf "%s\\n" "$@" > "$OUT.argv"\nenv > "$OUT.env"\n')
      chmodSync(join(dir, 'node'), 0o755)
      const podEnv: Record<string, string> = { PATH: `${dir}:/usr/bin:/bin`, OUT: join(dir, podName), POD_NAME: podName, POD_NAMESPACE: 'supply' }
      for (const variable of container.env ?? []) if (variable.value !== undefined) podEnv[variable.name] = variable.value
      const [shell, ...shellArgs] = [...(container.command ?? []), ...(container.args ?? [])]
      const result = spawnSync(shell, shellArgs, { env: podEnv, encoding: 'utf8' })
      expect(result.status, result.stderr).to.equal(0)
      const argv = readFileSync(`${podEnv.OUT}.argv`, 'utf8').trim().split('\n')
      const env = Object.fromEntries(readFileSync(`${podEnv.OUT}.env`, 'utf8').trim().split('\n').map(line => {
        const at = line.indexOf('=')
        return [line.slice(0, at), line.slice(at + 1)]
      }))
      return { argv, env }
    }

    const dns = (ordinal: number): string => `/dns4/gossipchain-${ordinal}.gossipchain.supply.svc.cluster.local/tcp/9000`

    it('execs `node bin/gossipchain.js start --config /etc/gossipchain/node.json` (node is PID 1)', () => {
      expect(container.command).to.deep.equal(['/bin/sh', '-c'])
      expect(container.args?.[0]).to.match(/\bexec node bin\/gossipchain\.js start --config \/etc\/gossipchain\/node\.json\s*$/)
      expect(start('gossipchain-1').argv).to.deep.equal(['bin/gossipchain.js', 'start', '--config', '/etc/gossipchain/node.json'])
    })

    for (const [ordinal, seeds, mines] of [[0, [1, 2], true], [1, [0, 2], false], [2, [0, 1], false], [5, [0, 1, 2], false]] as const) {
      it(`gossipchain-${ordinal} announces its own DNS name and bootstraps to ${seeds.map(s => `gossipchain-${s}`).join(', ')}${mines ? '; it mines' : ''}`, () => {
        const { env } = start(`gossipchain-${ordinal}`)
        expect(env.GOSSIPCHAIN_ANNOUNCE).to.equal(dns(ordinal))
        expect(env.GOSSIPCHAIN_BOOTSTRAP).to.equal(seeds.map(dns).join(','))
        // The node reads these as it would in the pod: env over the ConfigMap's file.
        const configDir = mkdtempSync(join(dir, 'config-'))
        writeFileSync(join(configDir, 'node.json'), configMap.data?.['node.json'] ?? '')
        const config = loadConfig({ file: join(configDir, 'node.json'), env })
        expect(config.announce).to.deep.equal([dns(ordinal)])
        expect(config.bootstrap).to.deep.equal(seeds.map(dns))
        expect(config.mineInterval).to.equal(mines ? 10_000 : 0)
        expect(config.dataDir).to.equal('/data')
      })
    }
  })
})

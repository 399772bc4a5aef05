// A self-signed certificate made in the test with the openssl command line (Debian's openssl, installed by
// .ci/run), and an HTTPS GET that trusts exactly that certificate.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { request } from 'node:https'
import { join } from 'node:path'

export interface SelfSigned {
  certPath: string
  keyPath: string
  certPem: string
}

/** An EC P-256 certificate for `hosts` (DNS names; 127.0.0.1 always added), valid for two days. */
export function makeSelfSignedCert (dir: string, hosts: string[] = ['localhost']): SelfSigned {
  const certPath = join(dir, 'cert.pem')
  const keyPath = join(dir, 'key.pem')
  const san = [...hosts.map(h => `DNS:${h}`), 'IP:127.0.0.1'].join(',')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', `/CN=${hosts[0]}`, '-addext', `subjectAltName=${san}`], { stdio: 'pipe' })
  return { certPath, keyPath, certPem: readFileSync(certPath, 'utf8') }
}

/** GET over HTTPS trusting only `ca`; resolves with status, headers and body text. */
export async function httpsGet (url: string, ca: string): Promise<{ status: number, headers: Record<string, string | string[] | undefined>, body: string }> {
  return await new Promise((resolve, reject) => {
    const req = request(url, { ca, timeout: 10_000 }, res => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body }) })
      res.on('error', reject)
    })
    req.on('timeout', () => { req.destroy(new Error(`GET ${url} timed out`)) })
    req.on('error', reject)
    req.end()
  })
}

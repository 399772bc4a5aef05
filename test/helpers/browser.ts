// Debian's Chromium driven by playwright-core (never a downloaded browser), with every request the pages
// make recorded, and screenshots saved as test artifacts under test-artifacts/ (git-ignored).
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'
export const ARTIFACTS_DIR = fileURLToPath(new URL('../../test-artifacts/ui/', import.meta.url))
/** A host name that is not localhost but resolves to 127.0.0.1 inside the browser only (no DNS, no traffic off the machine). */
export const TEST_HOST = 'entities.test'

export interface RecordedRequest {
  url: string
  method: string
  headers: Record<string, string>
  body: string
}

export async function launchChromium (): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium; .ci/run does)`)
  return await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run',
      `--host-resolver-rules=MAP ${TEST_HOST} 127.0.0.1`]
  })
}

/** A context whose every request (any page, any resource, downloads too) is appended to `requests`. */
export async function recordingContext (browser: Browser, requests: RecordedRequest[], options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ acceptDownloads: true, ...options })
  context.on('request', req => {
    requests.push({ url: req.url(), method: req.method(), headers: req.headers(), body: req.postDataBuffer()?.toString('latin1') ?? '' })
  })
  return context
}

export async function screenshot (page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true })
  const path = join(ARTIFACTS_DIR, `${name}.png`)
  await page.screenshot({ path, fullPage: true })
  return path
}

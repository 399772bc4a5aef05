// The description of a devnet run, <out>/devnet.json next to its traces (src/devnet/run.ts writes it,
// `gossipchain report` reads it): parameters, nodes and their peer ids, links, the load's figures.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { TraceFormat } from '../metrics/trace-format.js'
import type { TxLoadStats } from './load.js'

/** The run's description, written to <out>/devnet.json. */
export interface DevnetManifest {
  version: 1
  /** ms since the epoch. */
  startedAt: number
  /** When the load started (ms): the report's time origin. */
  loadStartedAt?: number
  endedAt?: number
  /** Stopped early (Ctrl-C). */
  interrupted: boolean
  options: {
    nodes: number
    degree: number
    seed: number
    bits: number
    txRate: number
    mineIntervalMs: number
    miners: number
    durationMs: number
    settleMs: number
    traceFormat: TraceFormat
  }
  network?: string
  nodes: Array<{ index: number, peerId: string, url: string, miner: boolean, trace: string }>
  edges: Array<[number, number]>
  load?: TxLoadStats
  /**
   * How the run ended: quiet = no node published or received anything new for 3 s before `settleMs`
   * ran out; `at` (ms) closes the observation window: what is published later (a block mined while the
   * nodes stop) cannot propagate, and the report leaves it out.
   */
  settle?: { quiet: boolean, ms: number, at: number, received?: number }
}

export const MANIFEST_FILE = 'devnet.json'
export const traceFileName = (index: number): string => `node-${index}.ndjson`

/** Writes `manifest` to <out>/devnet.json (synchronous: also usable in a signal handler). */
export function writeManifest (out: string, manifest: DevnetManifest): void {
  writeFileSync(join(out, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n')
}


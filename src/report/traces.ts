// Reading a devnet's traces for `gossipchain report` (docs/design.md §10): each node's trace file, in
// either format `--trace-format` writes (the node's NDJSON events, or go-libp2p-pubsub's JSON tracer
// events), is read line by line into what the report needs of it: what the node published, the first
// copy of each message it received (with its validator's verdict), and how many further copies came.
import { createReadStream } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { createInterface } from 'node:readline'
import { MANIFEST_FILE, type DevnetManifest } from '../devnet/manifest.js'
import { TraceEventType } from '../metrics/pubsub-trace.js'
import type { TraceFormat } from '../metrics/trace-format.js'

export type Topic = 'tx' | 'block'

export interface Publish { msgId: string, topic: Topic, /** ms: when it was handed to gossipsub. */ at: number }
export interface Receipt {
  msgId: string
  topic: Topic
  /** ms: ndjson: when the validator got it (receivedAt); pubsub: the DELIVER/REJECT time (after validation). */
  at: number
  result: 'accept' | 'ignore' | 'reject'
}

export interface NodeTrace {
  /** Position of the node (devnet index, or the file's place in name order). */
  index: number
  file: string
  format: TraceFormat
  publishes: Publish[]
  /** Only the first copy of each message (gossipsub validates a message once). */
  receipts: Receipt[]
  /** Copies after the first, per message id. */
  duplicates: Map<string, number>
  /** Lines that were not JSON or not an event (a truncated last line after a kill). */
  badLines: number
}

export interface TraceSet {
  dir: string
  manifest: DevnetManifest | undefined
  nodes: NodeTrace[]
}

/** The trace files of `dir`: node-<i>.ndjson in index order, else every *.ndjson / *.jsonl file by name. */
export async function traceFiles (dir: string): Promise<string[]> {
  const names = await readdir(dir)
  const numbered = names.filter(n => /^node-\d+\.ndjson$/.test(n)).sort((a, b) => Number(/\d+/.exec(a)![0]) - Number(/\d+/.exec(b)![0]))
  if (numbered.length > 0) return numbered.map(n => join(dir, n))
  return names.filter(n => /\.(ndjson|jsonl)$/.test(n)).sort().map(n => join(dir, n))
}

/** Reads DIR: its devnet.json when there is one, and every trace file. */
export async function readTraceSet (dir: string): Promise<TraceSet> {
  let manifest: DevnetManifest | undefined
  try {
    manifest = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')) as DevnetManifest
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`${join(dir, MANIFEST_FILE)} is not readable JSON: ${(err as Error).message}`)
  }
  const files = await traceFiles(dir)
  if (files.length === 0) throw new Error(`no trace files in ${dir} (node-<i>.ndjson, or *.ndjson / *.jsonl)`)
  const nodes: NodeTrace[] = []
  for (const [i, file] of files.entries()) {
    const index = /^node-(\d+)\.ndjson$/.exec(basename(file))
    nodes.push(await readNodeTrace(file, index !== null ? Number(index[1]) : i, topicsOf(manifest)))
  }
  return { dir, manifest, nodes }
}

/** Topic strings of a pubsub trace -> tx/block: from the manifest's network, or from the string's shape. */
function topicsOf (manifest: DevnetManifest | undefined): (topic: string) => Topic | undefined {
  return (topic) => {
    if (manifest?.network !== undefined) {
      if (topic === `/gossipchain/${manifest.network}/tx/1`) return 'tx'
      if (topic === `/gossipchain/${manifest.network}/block/1`) return 'block'
      return undefined
    }
    const m = /^\/gossipchain\/[^/]+\/(tx|block)\/1$/.exec(topic)
    return m === null ? undefined : m[1] as Topic
  }
}

const b64ToHex = (b64: string): string => Buffer.from(b64, 'base64').toString('hex')

/** Reads one trace file (either format, told apart by its first event). */
export async function readNodeTrace (file: string, index: number, topicOf: (topic: string) => Topic | undefined = topicsOf(undefined)): Promise<NodeTrace> {
  const trace: NodeTrace = { index, file, format: 'ndjson', publishes: [], receipts: [], duplicates: new Map(), badLines: 0 }
  const seen = new Set<string>()
  let format: TraceFormat | undefined
  let self: string | undefined
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity })
  for await (const line of lines) {
    if (line === '') continue
    if (format === undefined) format = trace.format = /^\{"type":\d/.test(line) ? 'pubsub' : 'ndjson'
    let e: any
    try {
      if (format === 'ndjson') {
        // Only these three matter; the rest (heads, peers, syncs) is skipped without parsing.
        if (!(line.startsWith('{"type":"gossip"') || line.startsWith('{"type":"publish"') || line.startsWith('{"type":"duplicate"'))) continue
        e = JSON.parse(line)
        if (e.type === 'publish') {
          trace.publishes.push({ msgId: e.msgId, topic: e.topic, at: e.publishedAt ?? e.at })
        } else if (e.type === 'gossip') {
          if (seen.has(e.msgId)) continue
          seen.add(e.msgId)
          trace.receipts.push({ msgId: e.msgId, topic: e.topic, at: e.receivedAt ?? e.at, result: e.result })
        } else {
          trace.duplicates.set(e.msgId, (trace.duplicates.get(e.msgId) ?? 0) + 1)
        }
      } else {
        const type = Number(/^\{"type":(\d+)/.exec(line)?.[1])
        if (type > TraceEventType.DELIVER_MESSAGE) continue
        // Nanoseconds exceed 2^53: read the digits, keep ms (exact to the ms).
        const ns = /"timestamp":(\d+)/.exec(line)?.[1]
        if (ns === undefined) { trace.badLines++; continue }
        const at = Number(BigInt(ns) / 1000n) / 1000
        e = JSON.parse(line)
        self ??= e.peerID
        if (type === TraceEventType.PUBLISH_MESSAGE) {
          const topic = topicOf(e.publishMessage.topic)
          if (topic !== undefined) trace.publishes.push({ msgId: b64ToHex(e.publishMessage.messageID), topic, at })
        } else if (type === TraceEventType.DUPLICATE_MESSAGE) {
          const msgId = b64ToHex(e.duplicateMessage.messageID)
          trace.duplicates.set(msgId, (trace.duplicates.get(msgId) ?? 0) + 1)
        } else {
          const m = type === TraceEventType.DELIVER_MESSAGE ? e.deliverMessage : e.rejectMessage
          if (m.receivedFrom === self) continue // Go delivers our own messages to us too
          const topic = topicOf(m.topic)
          const msgId = b64ToHex(m.messageID)
          if (topic === undefined || seen.has(msgId)) continue
          seen.add(msgId)
          const result = type === TraceEventType.DELIVER_MESSAGE ? 'accept' : m.reason === 'validation ignored' ? 'ignore' : 'reject'
          trace.receipts.push({ msgId, topic, at, result })
        }
      }
    } catch {
      trace.badLines++
    }
  }
  return trace
}

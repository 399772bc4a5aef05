// The formats of `--trace FILE` (docs/design.md §10), apart from their writers so that the config can
// name them without loading a writer.

/** ndjson: the node's own events, one per line; pubsub: go-libp2p-pubsub's JSON tracer events. */
export type TraceFormat = 'ndjson' | 'pubsub'
export const TRACE_FORMATS: readonly TraceFormat[] = ['ndjson', 'pubsub']

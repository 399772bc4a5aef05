// One turn of the event loop (docs/design.md §12): work that would otherwise run as one long chain of
// microtasks (a peer's gossip messages refused without I/O, a large block's checks) gives pending I/O,
// such as other clients' requests, its turn first.
export async function yieldToEventLoop (): Promise<void> {
  await new Promise<void>(resolve => { setImmediate(resolve) })
}

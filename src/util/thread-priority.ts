// Background threads below the event loop (docs/design.md §12): a verifier worker thread lowers its own OS
// priority, so that when the cores are short it is the background work that waits, not the event loop
// every client and peer is answered from. Linux nice is per thread (setpriority on a
// thread id); /proc/thread-self names the calling thread. Elsewhere, or where it fails, a no-op.
import { readlinkSync } from 'node:fs'
import { getPriority, setPriority } from 'node:os'

/** Highest nice value (lowest priority) on Linux. */
const MAX_NICE = 19

/** The calling thread's id (Linux: its entry under /proc/<pid>/task), or undefined where there is none. */
export function currentThreadId (): number | undefined {
  if (process.platform !== 'linux') return undefined
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop())
    return Number.isInteger(tid) && tid > 0 ? tid : undefined
  } catch {
    return undefined
  }
}

/** Raise the calling thread's nice value by `by` (1-19, capped at 19); returns the new value, or undefined when not possible. */
export function lowerThreadPriority (by: number): number | undefined {
  if (!Number.isInteger(by) || by < 1 || by > MAX_NICE) throw new RangeError('lowerThreadPriority: "by" must be an integer from 1 to 19')
  const tid = currentThreadId()
  if (tid === undefined) return undefined
  try {
    const nice = Math.min(MAX_NICE, getPriority(tid) + by)
    setPriority(tid, nice)
    return nice
  } catch {
    return undefined
  }
}

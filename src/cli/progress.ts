// One progress line for long commands (devnet): on a terminal it is rewritten in place, at most a few
// times a second; into a pipe or a file (CI, a log) a line is written now and then instead, so logs stay
// readable and are not flooded.

export interface ProgressLineInit {
  write: (text: string) => void
  /** Rewrite in place (a terminal). */
  tty: boolean
  /** Terminal width, to cut the line (default 100). */
  columns?: number
  /** Without a terminal: at most one line per this many ms (default 5000). */
  pipeEveryMs?: number
  /** Clock in ms (tests). Default performance.now. */
  now?: () => number
}

export interface ProgressLine {
  /** Show `text` as the current state. */
  update(text: string): void
  /** Print a line that stays (the progress line is redrawn under it on a terminal). */
  log(text: string): void
  /** End the progress line (with a final state, if given). */
  done(text?: string): void
}

const TTY_EVERY_MS = 200

export function progressLine (init: ProgressLineInit): ProgressLine {
  const columns = Math.max(20, init.columns ?? 100)
  const pipeEveryMs = init.pipeEveryMs ?? 5000
  const clock = init.now ?? (() => performance.now())
  let current = ''
  let shown = ''
  // The first state is always shown (performance.now() starts near 0 with the process: from 0, a
  // command that got going within 5 s printed nothing until its second state).
  let lastDraw = Number.NEGATIVE_INFINITY
  const draw = (force: boolean): void => {
    const now = clock()
    if (!force && now - lastDraw < (init.tty ? TTY_EVERY_MS : pipeEveryMs)) return
    if (!init.tty && current === shown) return
    lastDraw = now
    shown = current
    if (init.tty) init.write(`\r\x1b[2K${current.length > columns - 1 ? current.slice(0, columns - 2) + '…' : current}`)
    else init.write(current + '\n')
  }
  return {
    update: (text) => {
      current = text
      draw(false)
    },
    log: (text) => {
      if (init.tty) init.write('\r\x1b[2K')
      init.write(text + '\n')
      if (init.tty && current !== '') init.write(current.slice(0, columns - 1))
    },
    done: (text) => {
      if (text !== undefined) current = text
      if (init.tty) {
        if (current !== '') init.write(`\r\x1b[2K${current}\n`)
      } else if (current !== shown) {
        init.write(current + '\n')
      }
      shown = current
    }
  }
}

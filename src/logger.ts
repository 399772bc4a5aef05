// Leveled line logger of the node (config `logLevel`): lines at or above the level go to the sink.
import type { LogLevel } from './config.js'

const RANK: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4, silent: 5 }

export interface Logger {
  debug(line: string): void
  info(line: string): void
  warn(line: string): void
  error(line: string): void
}

export function createLogger (level: LogLevel, sink: (line: string) => void): Logger {
  if (!(level in RANK)) throw new TypeError(`createLogger: "level" must be one of ${Object.keys(RANK).join(', ')}`)
  const at = (lineLevel: Exclude<LogLevel, 'silent'>) => RANK[lineLevel] >= RANK[level]
    ? (line: string) => { sink(lineLevel === 'info' ? line : `${lineLevel}: ${line}`) }
    : () => {}
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

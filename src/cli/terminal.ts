// Password prompts without echo on a raw-mode terminal.
import { CliError } from './errors.js'

/**
 * Reads lines from a raw-mode terminal without echo. One session for all prompts, so a pasted
 * "password\npassword\n" answers both.
 */
export async function promptHiddenOnTerminal (prompts: string[]): Promise<string[]> {
  const stdin = process.stdin
  const answers: string[] = []
  let current = ''
  return await new Promise<string[]>((resolve, reject) => {
    const finish = (): void => {
      stdin.off('data', onData)
      stdin.setRawMode(false)
      stdin.pause()
    }
    const onData = (chunk: string): void => {
      for (let i = 0; i < chunk.length; i++) {
        const char = chunk[i]
        if (char === '\r' || char === '\n') {
          process.stderr.write('\n')
          answers.push(current)
          current = ''
          if (chunk[i + 1] === '\n' && char === '\r') i++
          if (answers.length === prompts.length) {
            finish()
            resolve(answers)
            return
          }
          process.stderr.write(prompts[answers.length])
        } else if (char === '\u0003' || (char === '\u0004' && current.length === 0)) { // Ctrl-C, Ctrl-D
          process.stderr.write('\n')
          finish()
          reject(new CliError('cancelled', 130))
          return
        } else if (char === '\u007f' || char === '\b') {
          current = Array.from(current).slice(0, -1).join('')
        } else if (char === '\u0015') { // Ctrl-U
          current = ''
        } else if (char === '\u001b') { // an escape sequence (arrow keys...): not part of a password
          return
        } else if (char >= ' ') {
          current += char
        }
      }
    }
    stdin.setEncoding('utf8')
    stdin.setRawMode(true)
    stdin.resume()
    stdin.on('data', onData)
    process.stderr.write(prompts[0])
  })
}

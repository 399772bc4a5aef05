/** Runs async critical sections one at a time, in call order (block imports, journal writes). */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve()

  async run<T> (section: () => Promise<T>): Promise<T> {
    const result = this.tail.then(section, section)
    // The queue must keep going after a failed section; the caller still sees the failure.
    this.tail = result.catch(() => undefined)
    return await result
  }
}

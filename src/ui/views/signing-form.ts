// The frame of the two views that need WebCrypto (Submit, Wallet): a form whose button runs one task at a
// time, and, in an insecure context, the one-sentence notice with the button disabled.
import { INSECURE_CONTEXT_MESSAGE, type PageContext } from '../context.js'
import { h, type Child } from '../dom.js'

export interface SigningFormInit {
  id: string
  title: string
  intro: string
  /** The form's fields, its button and its message area, in order. */
  content: Child[]
  button: HTMLButtonElement
  /** What the button does; a second press while it runs is ignored. */
  run: () => Promise<void>
}

export function signingForm (ctx: PageContext, init: SigningFormInit): HTMLElement {
  const form = h('form', { attrs: { novalidate: '' } }, ...init.content)
  let busy = false
  form.addEventListener('submit', event => {
    event.preventDefault()
    if (busy) return
    busy = true
    init.button.disabled = true
    void init.run().finally(() => { busy = false; init.button.disabled = !ctx.secure })
  })
  init.button.disabled = !ctx.secure
  return h('section', { attrs: { 'aria-labelledby': `${init.id}-title` } },
    h('h1', { id: `${init.id}-title`, text: init.title }),
    ctx.secure ? null : h('p', { class: 'message error insecure', attrs: { role: 'alert' }, text: INSECURE_CONTEXT_MESSAGE }),
    h('p', { class: 'hint', text: init.intro }),
    form)
}

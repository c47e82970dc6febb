// An in-page confirmation (a <dialog>), so the question can say what the ordering rules will do.

import { byId, setText } from './dom.js'

export class ConfirmDialog {
  readonly #dialog = byId<HTMLDialogElement>('confirm')
  readonly #title = byId('confirm-title')
  readonly #text = byId('confirm-text')
  readonly #ok = byId<HTMLButtonElement>('confirm-ok')
  readonly #cancel = byId<HTMLButtonElement>('confirm-cancel')

  /** Resolves true when confirmed; false on Cancel or Escape. */
  ask(title: string, text: string, confirmLabel: string): Promise<boolean> {
    setText(this.#title, title)
    setText(this.#text, text)
    setText(this.#ok, confirmLabel)
    return new Promise((resolve) => {
      const finish = (answer: boolean) => {
        this.#ok.removeEventListener('click', onOk)
        this.#cancel.removeEventListener('click', onCancel)
        this.#dialog.removeEventListener('cancel', onCancel)
        if (this.#dialog.open) this.#dialog.close()
        resolve(answer)
      }
      const onOk = () => finish(true)
      const onCancel = (event: Event) => {
        event.preventDefault()
        finish(false)
      }
      this.#ok.addEventListener('click', onOk)
      this.#cancel.addEventListener('click', onCancel)
      this.#dialog.addEventListener('cancel', onCancel) // Escape
      this.#dialog.showModal()
      this.#cancel.focus()
    })
  }
}

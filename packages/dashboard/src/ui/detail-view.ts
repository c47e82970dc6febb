// The selected service: its state and why, its last exit, CPU and memory charts, and the start / stop /
// restart buttons. Each action asks first, naming what the ordering rules will also close or start.

import type { Action, ServiceView } from '../protocol.js'
import { runAction } from './api.js'
import { Sparkline } from './charts.js'
import type { ConfirmDialog } from './confirm-dialog.js'
import { byId, setAttr, setText } from './dom.js'
import { bytes, exitErrorText, lastExitText, percent, stateLabel, toneOf } from './format.js'
import { dependenciesOf, dependentsOf } from './graph-layout.js'
import type { Changes, Store } from './store.js'

export class DetailView {
  readonly #name = byId('detail-name')
  readonly #state = byId('detail-state')
  readonly #reason = byId('detail-reason')
  readonly #exit = byId('detail-exit')
  readonly #command = byId('detail-command')
  readonly #buttons = new Map<Action, HTMLButtonElement>()
  readonly #cpu: Sparkline
  readonly #rss: Sparkline
  #busy: Action | null = null

  constructor(
    private readonly store: Store,
    private readonly confirm: ConfirmDialog,
    private readonly notify: (text: string, kind: 'ok' | 'error') => void,
  ) {
    this.#cpu = new Sparkline(byId<SVGSVGElement>('cpu-chart'), byId('cpu-caption'), (s) => s.cpu, percent, 5)
    this.#rss = new Sparkline(byId<SVGSVGElement>('rss-chart'), byId('rss-caption'), (s) => s.rss, bytes, 32 * 1024 * 1024)
    for (const action of ['start', 'stop', 'restart'] as const) {
      const button = byId<HTMLButtonElement>(`action-${action}`)
      button.addEventListener('click', () => void this.#run(action))
      this.#buttons.set(action, button)
    }
  }

  render(changes: Changes): void {
    const service = this.store.selectedService
    const name = this.store.selected
    const mine = name !== null && (changes.structure || changes.selection || changes.services.has(name))
    if (mine || changes.closed) this.#facts(service)
    if (name !== null && (changes.structure || changes.selection || changes.usage.has(name))) this.#charts(name)
  }

  #facts(service: ServiceView | null): void {
    setText(this.#name, service?.name ?? '—')
    setText(this.#state, service ? stateLabel(service) : '')
    setAttr(this.#state, 'data-tone', service ? toneOf(service) : null)
    const why = [service?.reason ? `last change: ${service.reason}` : null, service?.waitingFor ? `waiting for ${service.waitingFor}` : null]
    setText(this.#reason, why.filter((part) => part !== null).join(' · '))
    setText(this.#command, service?.command ? `${service.oneshot ? 'one-shot' : 'command'}: ${service.command}` : '')
    const error = service?.lastExit?.error
    setText(this.#exit, service ? `last exit: ${lastExitText(service.lastExit)}${error ? ` — ${exitErrorText(error)}` : ''}` : '')
    setAttr(this.#exit, 'data-error', error ? 'true' : null)
    for (const [action, button] of this.#buttons) button.disabled = !this.#allowed(action, service)
  }

  #charts(name: string): void {
    const samples = this.store.history.get(name) ?? []
    const capacity = this.store.info?.historyLength ?? 120
    this.#cpu.draw(samples, capacity)
    this.#rss.draw(samples, capacity)
  }

  #allowed(action: Action, service: ServiceView | null): boolean {
    if (!service || this.#busy !== null || this.store.closedReason !== null) return false
    if (action === 'start') return service.state === 'closed'
    if (action === 'stop') return service.display !== 'stopped' && service.display !== 'closed'
    return true
  }

  async #run(action: Action): Promise<void> {
    const service = this.store.selectedService
    if (!service || this.#busy) return
    const { title, text } = this.#question(action, service.name)
    if (!(await this.confirm.ask(title, text, action[0]!.toUpperCase() + action.slice(1)))) return
    this.#busy = action
    this.#facts(this.store.selectedService)
    try {
      await runAction(service.name, action)
      this.notify(`${action} "${service.name}": done`, 'ok')
    } catch (error) {
      this.notify(`${action} "${service.name}" failed: ${(error as Error).message}`, 'error')
    } finally {
      this.#busy = null
      this.#facts(this.store.selectedService)
    }
  }

  // What the manager's ordering rules will do, in words.
  #question(action: Action, name: string): { title: string; text: string } {
    const graph = [...this.store.services.values()]
    const running = (names: string[]) => names.filter((n) => this.store.services.get(n)?.state !== 'closed')
    const list = (names: string[]) => names.map((n) => `"${n}"`).join(', ')
    if (action === 'start') {
      const deps = dependenciesOf(graph, name).filter((n) => this.store.services.get(n)?.state !== 'running')
      return {
        title: `Start "${name}"?`,
        text: deps.length ? `What it depends on starts first: ${list(deps)}.` : 'Everything it depends on already runs.',
      }
    }
    const dependents = running(dependentsOf(graph, name))
    if (action === 'stop') {
      return {
        title: `Stop "${name}"?`,
        text: `${dependents.length ? `Its dependents close first: ${list(dependents)}. ` : ''}Stopped services are not restarted until you start them.`,
      }
    }
    return {
      title: `Restart "${name}"?`,
      text: dependents.length
        ? `Its dependents close first (${list(dependents)}), then "${name}"; then "${name}" starts again and they follow in dependency order.`
        : `"${name}" closes, then starts again.`,
    }
  }
}

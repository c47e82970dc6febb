// The page: one event stream in, one model, four views, redrawn at most once per animation frame.

import type { DashboardEvent } from '../protocol.js'
import { openEvents, parseEvent } from './api.js'
import { ConfirmDialog } from './confirm-dialog.js'
import { DetailView } from './detail-view.js'
import { byId, setAttr, setText } from './dom.js'
import { summaryText } from './format.js'
import { GraphView } from './graph-view.js'
import { LogView } from './log-view.js'
import { Store } from './store.js'
import { TableView } from './table-view.js'

const store = new Store()
store.selected = decodeURIComponent(location.hash.slice(1)) || null

const select = (name: string) => {
  store.select(name)
  history.replaceState(null, '', `${location.pathname}${location.search}#${encodeURIComponent(name)}`)
  schedule()
}

const graph = new GraphView(byId<SVGSVGElement>('graph'), store, select)
const table = new TableView(byId<HTMLTableSectionElement>('services-body'), store, select)
const detail = new DetailView(store, new ConfirmDialog(), toast)
const logs = new LogView()
const connection = byId('connection')
const summary = byId('summary')

let frame = 0
function schedule(): void {
  if (frame === 0) frame = requestAnimationFrame(render)
}

function render(): void {
  frame = 0
  const changes = store.takeChanges()
  graph.render(changes)
  table.render(changes)
  detail.render(changes)
  logs.show(store.selected)
  if (changes.structure || changes.services.size > 0) renderSummary()
  if (changes.structure) setText(byId('project'), store.info?.project ?? '')
  if (changes.closed) closed(store.closedReason ?? 'closed')
  document.body.setAttribute('data-ready', 'true')
}

function renderSummary(): void {
  setText(summary, summaryText(store.services.values()))
}

function status(state: 'connecting' | 'live' | 'reconnecting' | 'closed', text: string): void {
  setAttr(connection, 'data-status', state)
  setText(connection, text)
}

function closed(reason: string): void {
  events.close()
  logs.stop()
  status('closed', `closed: ${reason}`)
}

let toastTimer = 0
function toast(text: string, kind: 'ok' | 'error'): void {
  const box = byId('toast')
  setText(box, text)
  setAttr(box, 'data-kind', kind)
  box.hidden = false
  clearTimeout(toastTimer)
  toastTimer = window.setTimeout(() => (box.hidden = true), kind === 'error' ? 10_000 : 4_000)
}

const events = openEvents()
events.onopen = () => status('live', 'live')
events.onmessage = (message: MessageEvent<string>) => {
  const event = parseEvent<DashboardEvent>(message)
  store.apply(event)
  schedule()
}
// The browser reconnects by itself (and the server sends a fresh snapshot); a refused connection stays closed.
events.onerror = () => {
  if (store.closedReason !== null) return
  if (events.readyState === EventSource.CLOSED) status('closed', 'disconnected: reload the page, or open the URL printed by svc')
  else status('reconnecting', 'reconnecting…')
}

// Uptime moves without events: recompute that column locally, once a second.
setInterval(() => table.tick(Date.now()), 1_000)

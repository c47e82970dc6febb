// Small line charts of one service's recent CPU % and RSS. The manager samples about once a second, so a
// redraw per sample batch is cheap: one path per chart, rewritten in place.

import type { UsageSample } from '../protocol.js'
import { setAttr, setText, svg } from './dom.js'

const WIDTH = 300
const HEIGHT = 80

export class Sparkline {
  readonly #line: SVGPathElement
  readonly #area: SVGPathElement

  constructor(
    root: SVGSVGElement,
    private readonly caption: HTMLElement,
    private readonly pick: (sample: UsageSample) => number,
    private readonly format: (value: number) => string,
    /** The smallest top of the scale, so an idle service's noise does not fill the chart. */
    private readonly minTop: number,
  ) {
    root.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`)
    root.setAttribute('preserveAspectRatio', 'none')
    this.#area = svg('path', { class: 'chart-area' })
    this.#line = svg('path', { class: 'chart-line' })
    root.append(this.#area, this.#line)
  }

  /** `capacity` samples fill the width, so the time scale stays put while the history fills up. */
  draw(samples: UsageSample[], capacity: number): void {
    if (samples.length === 0) {
      setAttr(this.#line, 'd', '')
      setAttr(this.#area, 'd', '')
      setText(this.caption, 'no samples yet')
      return
    }
    const values = samples.map(this.pick)
    const max = Math.max(...values)
    const top = Math.max(this.minTop, max * 1.15)
    const step = WIDTH / Math.max(1, capacity - 1)
    const offset = (capacity - values.length) * step
    const points = values.map((v, i) => `${(offset + i * step).toFixed(1)},${(HEIGHT - (v / top) * (HEIGHT - 4)).toFixed(1)}`)
    const line = `M${points.join(' L')}`
    setAttr(this.#line, 'd', line)
    setAttr(this.#area, 'd', `${line} L${WIDTH},${HEIGHT} L${offset.toFixed(1)},${HEIGHT} Z`)
    setText(this.caption, `now ${this.format(values[values.length - 1]!)} · max ${this.format(max)}`)
  }
}

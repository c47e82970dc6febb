// SVG text does not wrap or clip: a box's name and state are cut, with an ellipsis, to the width they may use,
// measured by the browser in the font it renders (a character count cannot know a bold "W" from an "i").

const ELLIPSIS = '…'

/** Sets `text` on `node`, cut so that it renders at most `maxWidth` wide; returns whether it had to be cut. */
export function fitText(node: SVGTextElement, text: string, maxWidth: number): boolean {
  if (node.getAttribute('data-full') === text && node.getAttribute('data-max') === String(maxWidth)) return node.textContent !== text
  node.setAttribute('data-full', text)
  node.setAttribute('data-max', String(maxWidth))
  node.textContent = text
  if (node.getComputedTextLength() <= maxWidth) return false
  // The longest prefix that fits with its ellipsis, by bisection: a few measurements, not one per character.
  let low = 0
  let high = text.length
  while (low < high) {
    const mid = Math.ceil((low + high) / 2)
    node.textContent = text.slice(0, mid).trimEnd() + ELLIPSIS
    if (node.getComputedTextLength() <= maxWidth) low = mid
    else high = mid - 1
  }
  node.textContent = text.slice(0, low).trimEnd() + ELLIPSIS
  return true
}

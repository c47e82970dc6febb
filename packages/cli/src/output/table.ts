// Plain aligned columns, like `docker ps`: parseable with awk when piped (no colour, no borders).

export interface Column<Row> {
  header: string
  value(row: Row): string
  /** Colours the padded cell; padding is measured on the plain text. */
  style?(text: string, row: Row): string
  align?: 'left' | 'right'
}

export function table<Row>(rows: Row[], columns: Column<Row>[]): string {
  const cells = rows.map((row) => columns.map((c) => c.value(row)))
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)))
  const pad = (text: string, i: number) => (columns[i]!.align === 'right' ? text.padStart(widths[i]!) : text.padEnd(widths[i]!))
  const lines = [columns.map((c, i) => pad(c.header, i)).join('  ').trimEnd()]
  rows.forEach((row, r) => {
    const line = columns.map((c, i) => {
      const padded = pad(cells[r]![i]!, i)
      return c.style ? c.style(padded, row) : padded
    })
    lines.push(line.join('  ').trimEnd())
  })
  return lines.join('\n')
}

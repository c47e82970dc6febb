// Reading /proc/<pid>/stat (Linux). The command name, field 2, is in parentheses and may itself hold spaces and
// parentheses, so fields are counted from the last ')'.

/** Fields 3 onwards of proc(5)'s /proc/<pid>/stat: state at index 0, process group 2, utime 11, stime 12,
 * starttime 19. */
export function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).trimEnd().split(' ')
}

/** The lines of a table or of label/value fields as the CLI prints them for a person, split into cells. */
export function cellsOf(text: string): string[][] {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => line.split(/\s{2,}/));
}

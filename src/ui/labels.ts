/** Class names for display. */

/** The name of class `index`, or "class <index>" when the model has no such label. */
export function labelOf(labels: readonly string[] | undefined, index: number): string {
  return labels?.[index] ?? `class ${index}`;
}

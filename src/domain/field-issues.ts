/**
 * What an edge answers about invalid input, field by field: a zod error's issues as `{ path,
 * message }` — the field's path dotted (`tiers.0.threshold`), or `root` for an issue about the
 * whole input (`(body)`, `(query)`; empty by default).
 */
export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

export function fieldIssues(
  error: {
    readonly issues: ReadonlyArray<{ readonly path: readonly PropertyKey[]; readonly message: string }>;
  },
  root = '',
): FieldIssue[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.') || root, message: i.message }));
}

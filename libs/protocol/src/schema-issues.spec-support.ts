/** A zod schema as the schema specs use one (any `z.ZodType` fits). */
export type Schema = { safeParse(v: unknown): { success: boolean; data?: unknown; error?: { issues: { path: PropertyKey[]; message: string }[] } } };

/** Each issue of a value the schema refuses, as `path: message` (empty when the value is accepted). */
export function refusal(schema: Schema, value: unknown): string[] {
  const r = schema.safeParse(value);
  return (r.error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);
}

/** What the schema decodes `value` to; throws, with the issues, when it refuses it. */
export function decoded(schema: Schema, value: unknown): unknown {
  const r = schema.safeParse(value);
  if (!r.success) throw new Error(`refused: ${refusal(schema, value).join('; ')}`);
  return r.data;
}

import { appendFileSync } from "node:fs";

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  if (process.env.GG4L_TRACE_IMPORTS) appendFileSync(process.env.GG4L_TRACE_IMPORTS, `${result.url}\n`);
  return result;
}

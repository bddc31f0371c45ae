import { NotFoundError, UsageError } from "../base/errors.js";

export interface Named {
  id: string;
  name: string;
  slug: string | null;
}

/**
 * What the user typed → one program or course: exact id, exact slug, exact name (any case),
 * then a unique name prefix. Ambiguous → usage error listing the candidates; none → not found.
 */
export function resolveNamed<T extends Named>(
  kind: "program" | "course",
  typed: string,
  all: T[],
  listCommand: string,
): T {
  const lower = typed.toLowerCase();
  const exact =
    all.find((x) => x.id === typed) ??
    all.find((x) => x.slug !== null && x.slug === typed) ??
    (() => {
      const byName = all.filter((x) => x.name.toLowerCase() === lower);
      return byName.length === 1 ? byName[0] : undefined;
    })();
  if (exact) return exact;
  const prefixed = all.filter((x) => x.name.toLowerCase().startsWith(lower));
  if (prefixed.length === 1) return prefixed[0]!;
  if (prefixed.length > 1) {
    throw new UsageError(
      `"${typed}" matches ${prefixed.length} ${kind}s: ${prefixed.map((x) => `${x.name} (${x.id})`).join("; ")}`,
      {
        hint: `name the ${kind} by id or a longer part of its name`,
        details: prefixed.map((x) => ({ id: x.id, name: x.name })),
      },
    );
  }
  throw new NotFoundError(`no ${kind} "${typed}"`, { hint: `\`${listCommand}\` lists them` });
}

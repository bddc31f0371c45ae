/** The few HTML pages the tool shows: errors and notices, the content picker, and auto-posting forms. */
import type { Choice, PickerView } from "../core/publish/index.js";

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#1f1f1f}
h1{font-size:1.35rem}fieldset{border:1px solid #ccc;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}
label{display:block;padding:.3rem 0}button{font-size:1rem;padding:.4rem 1.2rem}.hint{color:#555}.crumbs{color:#555}`;

function page(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

export function messagePage(title: string, message: string, hint?: string): string {
  return page(
    title,
    `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>${hint ? `<p class="hint">${escapeHtml(hint)}</p>` : ""}`,
  );
}

/** A form the browser submits at once (the deep-linking answer); a button when scripts are off. */
export function autoPostPage(
  title: string,
  action: string,
  values: Record<string, string>,
  nonce: string,
): string {
  const inputs = Object.entries(values)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join("");
  return page(
    title,
    `<form method="post" action="${escapeHtml(action)}">${inputs}<p>${escapeHtml(title)}…</p><noscript><button type="submit">Continue</button></noscript></form><script nonce="${nonce}">document.forms[0].submit()</script>`,
  );
}

function options(name: string, type: "radio" | "checkbox", choices: Choice[]): string {
  return choices
    .map(
      (c, i) =>
        `<label><input type="${type}" name="${name}" value="${escapeHtml(c.id)}"${type === "radio" && i === 0 ? " required" : ""}> ${escapeHtml(c.name)}</label>`,
    )
    .join("");
}

const hidden = (name: string, value: string) =>
  `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;

/** One step of the content picker; every step posts back to the deep-link URL with what was chosen so far. */
export function pickerPage(view: Exclude<PickerView, { step: "nothing" | "done" }>, action: string): string {
  const open = `<form method="post" action="${escapeHtml(action)}">${hidden("session", view.session)}`;
  const submit = (label: string) => `<button type="submit">${escapeHtml(label)}</button></form>`;
  if (view.step === "program")
    return page(
      "Choose a Coursera program",
      `<h1>Choose a Coursera program</h1>${open}<fieldset><legend>Program</legend>${options("program", "radio", view.programs)}</fieldset>${submit("Next")}`,
    );
  const crumbs = `<p class="crumbs">Program: ${escapeHtml(view.program.name)}</p>`;
  const carried = view.programSkipped ? "" : hidden("program", view.program.id);
  if (view.step === "course")
    return page(
      "Choose a course",
      `<h1>Choose a course</h1>${crumbs}${open}${carried}<fieldset><legend>Course</legend>${options("course", "radio", view.courses)}</fieldset>${submit(view.last ? "Add to course" : "Next")}`,
    );
  return page(
    "Choose the graded items",
    `<h1>Choose the graded item${view.multiple ? "s" : ""}</h1>${crumbs}<p class="crumbs">Course: ${escapeHtml(view.course.name)}</p>${open}${carried}${hidden("course", view.course.id)}<fieldset><legend>Gradable item${view.multiple ? "s (one link and one gradebook column each)" : ""}</legend>${options("item", view.multiple ? "checkbox" : "radio", view.items)}</fieldset>${submit("Add to course")}`,
  );
}

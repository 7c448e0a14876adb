/** An element holding these children; strings become text, never HTML, whatever the gateway sent. */
export function element<K extends keyof HTMLElementTagNameMap>(tag: K, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const created = document.createElement(tag);
  created.append(...children);
  return created;
}

/** A line saying what failed, in the error style. */
export function failure(text: string): HTMLParagraphElement {
  const line = element('p', text);
  line.className = 'error';
  return line;
}

/** A line saying what is still on its way. */
export function pending(text: string): HTMLParagraphElement {
  const line = element('p', text);
  line.className = 'pending';
  return line;
}

export function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`index.html has no ${type.name} #${id}`);
  return found;
}

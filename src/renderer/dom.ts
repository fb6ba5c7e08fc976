/**
 * Small DOM helpers for the status window: elements are built with text
 * content only (never innerHTML, so nothing in a status can inject markup),
 * and lists are patched by key so an unchanged row keeps its node — and the
 * keyboard focus inside it — across the many status updates of a busy sync.
 */

type Child = Node | string;

export function el<K extends keyof HTMLElementTagNameMap>(
  doc: Document,
  tag: K,
  props: { readonly className?: string; readonly text?: string; readonly attrs?: Readonly<Record<string, string>> } = {},
  ...children: readonly Child[]
): HTMLElementTagNameMap[K] {
  const node = doc.createElement(tag);
  if (props.className !== undefined) node.className = props.className;
  if (props.text !== undefined) node.textContent = props.text;
  for (const [name, value] of Object.entries(props.attrs ?? {})) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

/** A button that runs `onClick`; `action` names it for tests and for focus restoring. */
export function button(doc: Document, label: string, action: string, onClick: () => void, options: { readonly primary?: boolean; readonly ariaLabel?: string } = {}): HTMLButtonElement {
  const b = el(doc, 'button', { className: options.primary === true ? 'btn primary' : 'btn', text: label, attrs: { type: 'button', 'data-action': action } });
  if (options.ariaLabel !== undefined) b.setAttribute('aria-label', options.ariaLabel);
  b.addEventListener('click', onClick);
  return b;
}

/**
 * Makes `list`'s children match `items`: a row whose key and content (`signature`) are
 * unchanged is kept as is; others are built anew. When the focused element was in a row
 * that got rebuilt, focus moves to the button with the same action in the new row.
 */
export function patchList<T>(list: HTMLElement, items: readonly T[], key: (item: T) => string, signature: (item: T) => string, render: (item: T) => HTMLElement): void {
  const doc = list.ownerDocument;
  const existing = new Map<string, HTMLElement>();
  for (const child of Array.from(list.children)) {
    if (child instanceof HTMLElement && child.dataset['key'] !== undefined) existing.set(child.dataset['key'], child);
  }
  const active = doc.activeElement instanceof HTMLElement && list.contains(doc.activeElement) ? doc.activeElement : undefined;
  const activeRow = active?.closest<HTMLElement>('[data-key]');
  const activeAction = active?.dataset['action'];
  const rows = items.map((item) => {
    const k = key(item);
    const sig = signature(item);
    const old = existing.get(k);
    if (old !== undefined && old.dataset['sig'] === sig) return old;
    const row = render(item);
    row.dataset['key'] = k;
    row.dataset['sig'] = sig;
    return row;
  });
  // Move only what is out of place: taking a focused row out of the document, even to put it
  // straight back, would drop the focus.
  const keep = new Set(rows);
  for (const child of Array.from(list.children)) if (!keep.has(child as HTMLElement)) child.remove();
  rows.forEach((row, index) => {
    if (list.children[index] !== row) list.insertBefore(row, list.children[index] ?? null);
  });
  if (active !== undefined && !list.contains(active) && activeRow?.dataset['key'] !== undefined) {
    const row = rows.find((r) => r.dataset['key'] === activeRow.dataset['key']);
    const target = row?.querySelector<HTMLElement>(activeAction === undefined ? 'button' : `[data-action="${activeAction}"]`);
    target?.focus();
  }
}

type Child = Node | string | number | null | undefined | false;
type Props = {
  class?: string;
  testid?: string;
  title?: string;
  on?: Partial<Record<keyof HTMLElementEventMap, (e: Event) => void>>;
} & Record<string, unknown>;

/** A tiny element builder: h('td', { class: 'num', testid: 'price' }, '123.4'). Text is never parsed as HTML. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue;
    if (key === 'class') el.className = String(value);
    else if (key === 'testid') el.dataset.testid = String(value);
    else if (key === 'on') for (const [name, fn] of Object.entries(value as Record<string, EventListener>)) el.addEventListener(name, fn);
    else if (key in el && typeof value !== 'string') (el as unknown as Record<string, unknown>)[key] = value;
    else el.setAttribute(key, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** A table with one header row; a column given as { num: label } holds figures and is right-aligned. */
export function table(props: Props, columns: Array<string | { num: string }>, body: HTMLTableSectionElement): HTMLTableElement {
  const heading = (c: string | { num: string }) => (typeof c === 'string' ? h('th', {}, c) : h('th', { class: 'num' }, c.num));
  return h('table', props, h('thead', {}, h('tr', {}, ...columns.map(heading))), body);
}

/** Replaces everything inside `el`. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren(
    ...children
      .filter((c): c is Node | string | number => c !== null && c !== undefined && c !== false)
      .map((c) => (c instanceof Node ? c : String(c))),
  );
}

export function price(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  return value >= 1000 ? value.toFixed(2) : value >= 1 ? value.toFixed(3) : value.toPrecision(4);
}

export function percent(value: number | undefined, digits = 2): string {
  return value === undefined || !Number.isFinite(value) ? '–' : `${value.toFixed(digits)} %`;
}

export function clock(iso: string | null | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '–' : d.toLocaleTimeString([], { hour12: false });
}

export function panelTitle(title: string, ...extra: Child[]): HTMLElement {
  return h('h2', {}, title, ...extra);
}

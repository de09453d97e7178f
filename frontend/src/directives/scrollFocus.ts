import type { Directive } from 'vue'

/** Element Plus tables scroll inside an inner `.el-scrollbar__wrap` that a keyboard cannot reach
 * (axe: scrollable-region-focusable). This directive, on a table's wrapper, makes each such
 * region focusable and names it after the wrapper's `aria-label`, whenever it renders. */
function mark(el: HTMLElement): void {
  const name = el.getAttribute('aria-label')
  el.querySelectorAll<HTMLElement>('.el-scrollbar__wrap').forEach((wrap) => {
    if (wrap.getAttribute('tabindex') !== '0') wrap.setAttribute('tabindex', '0')
    if (name && !wrap.hasAttribute('aria-label')) {
      wrap.setAttribute('role', 'region')
      wrap.setAttribute('aria-label', name)
    }
  })
}

export const vScrollFocus: Directive<HTMLElement> = {
  mounted: mark,
  updated: mark,
}

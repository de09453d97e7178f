// @vitest-environment jsdom
import { describe, expect, it } from 'vitest'
import { defineComponent, h, nextTick, ref, withDirectives } from 'vue'
import { mount } from '@vue/test-utils'
import { vScrollFocus } from './scrollFocus'

describe('vScrollFocus', () => {
  it('makes every inner scroll region focusable and named, also after an update', async () => {
    const rows = ref(1)
    const wrapper = mount(defineComponent({
      setup: () => () => withDirectives(
        h('div', { 'aria-label': 'Records' }, Array.from({ length: rows.value }, (_, i) => h('div', { class: 'el-scrollbar__wrap', key: i }))),
        [[vScrollFocus]],
      ),
    }))
    const regions = () => wrapper.findAll('.el-scrollbar__wrap')
    expect(regions()[0].attributes()).toMatchObject({ tabindex: '0', role: 'region', 'aria-label': 'Records' })
    rows.value = 2
    await nextTick()
    expect(regions().map((r) => r.attributes('tabindex'))).toEqual(['0', '0'])
  })
})

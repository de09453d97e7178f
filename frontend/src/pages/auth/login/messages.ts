import type { Bilingual } from '@/i18n/types'

export default {
  'zh-CN': {
    title: '登录',
    email: '电子邮箱',
    password: '密码',
    submit: '登录',
    noAccount: '还没有账号？',
    register: '企业注册',
    emailRequired: '请输入电子邮箱',
    passwordRequired: '请输入密码',
    failed: '邮箱或密码不正确。',
  },
  en: {
    title: 'Log in',
    email: 'E-mail',
    password: 'Password',
    submit: 'Log in',
    noAccount: 'No account yet?',
    register: 'Register your enterprise',
    emailRequired: 'Enter your e-mail',
    passwordRequired: 'Enter your password',
    failed: 'The e-mail or password is not correct.',
  },
} satisfies Bilingual

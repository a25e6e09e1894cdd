// E-mail templates of the registration review (zh-CN and en): the link and the case id only, never names or numbers.
import type { TemplateSet } from '../activities/templates';

export const registrationTemplates: TemplateSet = {
  'registration.verify_email': {
    'zh-CN': {
      subject: () => '请验证您的电子邮箱',
      text: (p) => `请打开以下链接完成电子邮箱验证(${p.expiresAt} 前有效):\n${p.link}\n如果这不是您本人的操作,请忽略本邮件。`,
    },
    en: {
      subject: () => 'Please verify your e-mail address',
      text: (p) => `Open this link to verify your e-mail address (valid until ${p.expiresAt}):\n${p.link}\nIf you did not register, ignore this message.`,
    },
  },
  'registration.reminder': {
    'zh-CN': { subject: () => '请尽快完成注册验证', text: (p) => `您的注册尚未完成验证。请在 ${p.dueAt} 前完成,逾期注册将关闭,未验证的个人信息将被删除。` },
    en: { subject: () => 'Please finish verifying your registration', text: (p) => `Your registration is not verified yet. Please finish before ${p.dueAt}; after that the registration closes and the unverified personal data is deleted.` },
  },
  'registration.approved': {
    'zh-CN': { subject: () => '注册成功', text: (p) => `您的注册已审核通过,账户已开通(编号 ${p.caseId})。` },
    en: { subject: () => 'Your registration is approved', text: (p) => `Your registration was approved and your account is active (reference ${p.caseId}).` },
  },
  'registration.rejected': {
    'zh-CN': { subject: () => '注册未通过审核', text: (p) => `很抱歉,您的注册未通过审核(原因:${p.reasonCode},编号 ${p.caseId})。如有疑问请联系客服。` },
    en: { subject: () => 'Your registration was not approved', text: (p) => `We are sorry: your registration was not approved (reason: ${p.reasonCode}, reference ${p.caseId}). Contact customer care with any questions.` },
  },
};

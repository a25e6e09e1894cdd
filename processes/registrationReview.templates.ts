// E-mail templates of the registration review (zh-CN and en): the link and the case id only, never names or numbers.
import type { TemplateSet } from '../activities/templates';

export const registrationTemplates: TemplateSet = {
  // A verification link: the applicant asks for a new one (resend route) if it does not arrive.
  'registration.verify_email': {
    delivery: 'at-most-once',
    'zh-CN': {
      subject: () => '请验证您的电子邮箱',
      text: (p) => `请打开以下链接完成电子邮箱验证(${p.expiresAt} 前有效):\n${p.link}\n如果这不是您本人的操作,请忽略本邮件。`,
    },
    en: {
      subject: () => 'Please verify your e-mail address',
      text: (p) => `Open this link to verify your e-mail address (valid until ${p.expiresAt}):\n${p.link}\nIf you did not register, ignore this message.`,
    },
  },
  // A deadline: the registration closes and the unverified personal data is erased after it (policy 1.2, 2.4.1; PIPL art. 47).
  'registration.reminder': {
    delivery: 'at-least-once',
    'zh-CN': { subject: () => '请尽快完成注册验证', text: (p) => `您的注册尚未完成验证。请在 ${p.dueAt} 前完成,逾期注册将关闭,未验证的个人信息将被删除。` },
    en: { subject: () => 'Please finish verifying your registration', text: (p) => `Your registration is not verified yet. Please finish before ${p.dueAt}; after that the registration closes and the unverified personal data is deleted.` },
  },
  // An approval: the account and its rights start (policy 1.1).
  'registration.approved': {
    delivery: 'at-least-once',
    'zh-CN': { subject: () => '注册成功', text: (p) => `您的注册已审核通过,账户已开通(编号 ${p.caseId})。` },
    en: { subject: () => 'Your registration is approved', text: (p) => `Your registration was approved and your account is active (reference ${p.caseId}).` },
  },
  // PIPL art. 24: the decision was taken by a person; the applicant may ask for an explanation and contest it
  // until the data is erased (PIPL art. 19, 47). A refusal with its route of appeal and an erasure date: at least once.
  'registration.rejected': {
    delivery: 'at-least-once',
    'zh-CN': {
      subject: () => '注册未通过审核',
      text: (p) => `很抱歉,您的注册未通过审核(原因:${p.reasonCode},编号 ${p.caseId})。该决定由工作人员作出,您可以联系客服要求说明或提出异议。${p.erasureAt ? `您提交的个人信息将于 ${p.erasureAt} 删除。` : ''}`,
    },
    en: {
      subject: () => 'Your registration was not approved',
      text: (p) => `We are sorry: your registration was not approved (reason: ${p.reasonCode}, reference ${p.caseId}). A member of staff took this decision; contact customer care to ask for an explanation or to contest it.${p.erasureAt ? ` The personal data you submitted will be erased on ${p.erasureAt}.` : ''}`,
    },
  },
  // An approval: the feature that asked for real-name verification may now be used.
  'registration.real_name_verified': {
    delivery: 'at-least-once',
    'zh-CN': { subject: () => '实名认证已完成', text: (p) => `您的账户已完成实名认证(编号 ${p.caseId}),现在可以使用所需功能。` },
    en: { subject: () => 'Your real-name verification is complete', text: (p) => `Your account's real-name verification is complete (reference ${p.caseId}); you can now use the feature that asked for it.` },
  },
  // A refusal by a person, with the right to an explanation and to contest it, and the erasure date (PIPL art. 24, 47).
  'registration.real_name_rejected': {
    delivery: 'at-least-once',
    'zh-CN': {
      subject: () => '实名认证未通过',
      text: (p) => `很抱歉,您的实名认证未通过(原因:${p.reasonCode},编号 ${p.caseId})。您的账户照常可用,仅需要实名认证的功能暂不可用。该决定由工作人员作出,您可以联系客服要求说明或提出异议。${p.erasureAt ? `为此提交的证件信息将于 ${p.erasureAt} 删除。` : ''}`,
    },
    en: {
      subject: () => 'Your real-name verification was not successful',
      text: (p) => `We are sorry: your real-name verification was not successful (reason: ${p.reasonCode}, reference ${p.caseId}). Your account stays active; only the features that need real-name verification are unavailable. A member of staff took this decision; contact customer care to ask for an explanation or to contest it.${p.erasureAt ? ` The identity data submitted for it will be erased on ${p.erasureAt}.` : ''}`,
    },
  },
};

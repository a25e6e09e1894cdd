// E-mail templates of the breach response (zh-CN and en). The individuals' notice carries PIPL art. 57's contents, by
// code: the categories of information, the cause and the possible harm, the measures taken, what the person can do, and
// how to reach the platform. At least once: it carries a right to know (a resend has the same Message-ID).
import type { Params, TemplateDef, TemplateSet } from '../activities/templates';

const names = (table: Record<string, [string, string]>, i: 0 | 1, codes: unknown, sep: string) =>
  String(codes ?? '').split(',').filter(Boolean).map((c) => table[c]?.[i] ?? c).join(sep);
const categories: Record<string, [string, string]> = {
  identity: ['身份信息', 'identity data'],
  contact: ['联系方式', 'contact details'],
  id_document: ['身份证件信息', 'identity document data'],
  biometric: ['生物识别信息', 'biometric data'],
  free_text: ['您提交的文字或文件', 'text or files you submitted'],
  transaction: ['交易信息', 'transaction data'],
  device: ['设备信息', 'device data'],
  credential: ['账户凭证', 'account credentials'],
  technical: ['技术数据', 'technical data'],
};
const causes: Record<string, [string, string]> = {
  database_leak: ['数据库泄露', 'a database leak'],
  network_attack: ['网络攻击', 'a network attack'],
  insider: ['内部人员泄露', 'an insider'],
  misconfiguration: ['系统配置错误', 'a misconfiguration'],
  vendor: ['第三方服务商', 'a service provider'],
  lost_device: ['设备丢失', 'a lost device'],
  other: ['其他原因', 'another cause'],
};
const harms: Record<string, [string, string]> = {
  fraud: ['诈骗', 'fraud'],
  identity_theft: ['身份冒用', 'identity theft'],
  phishing: ['钓鱼信息', 'phishing'],
  financial_loss: ['财产损失', 'financial loss'],
  reputation: ['名誉受损', 'harm to reputation'],
  discrimination: ['歧视', 'discrimination'],
  physical_safety: ['人身安全风险', 'a risk to physical safety'],
  unlikely: ['危害可能性较低', 'harm is unlikely'],
};
const measures: Record<string, [string, string]> = {
  systems_isolated: ['隔离相关系统', 'the systems were isolated'],
  credentials_revoked: ['吊销相关凭证', 'credentials were revoked'],
  passwords_reset: ['重置密码', 'passwords were reset'],
  vulnerability_patched: ['修复漏洞', 'the vulnerability was fixed'],
  data_recovered: ['追回数据', 'the data was recovered'],
  police_informed: ['报警', 'the police were informed'],
  monitoring_increased: ['加强监测', 'monitoring was increased'],
};
const actions: Record<string, [string, string]> = {
  change_password: ['修改密码', 'change your password'],
  watch_for_phishing: ['警惕钓鱼短信和邮件', 'be wary of phishing messages'],
  watch_account_activity: ['留意账户异常', 'watch your account for unusual activity'],
  contact_bank: ['联系您的银行', 'contact your bank'],
  report_fraud: ['如遇诈骗请报警', 'report any fraud to the police'],
};
const contacts: Record<string, [string, string]> = {
  privacy_office: ['个人信息保护负责人(隐私办公室)', 'our privacy office'],
  customer_service: ['客服中心', 'customer service'],
  security_hotline: ['安全热线', 'the security hotline'],
};

const individualNotice: TemplateDef = {
  delivery: 'at-least-once',
  // One notice to every affected subject: delivered and recorded on the case page by page (activities/notificationOutbox.ts).
  fanOut: true,
  'zh-CN': {
    subject: (p: Params) => `关于您个人信息安全事件的通知(${p.caseId})`,
    text: (p: Params) =>
      [
        '我们发现了一起可能涉及您个人信息的安全事件,依照《个人信息保护法》第五十七条通知您:',
        `涉及的信息种类:${names(categories, 0, p.categories, '、')}`,
        `事件原因:${names(causes, 0, p.cause, '、')}`,
        `可能造成的危害:${names(harms, 0, p.harms, '、')}`,
        `我们已采取的补救措施:${names(measures, 0, p.measures, '、')}`,
        `您可以采取的措施:${names(actions, 0, p.actions, '、')}`,
        `联系我们:${names(contacts, 0, p.contact, '、')},事件编号 ${p.caseId}`,
      ].join('\n'),
  },
  en: {
    subject: (p: Params) => `A security incident involving your personal information (${p.caseId})`,
    text: (p: Params) =>
      [
        'We found a security incident that may involve your personal information. As the Personal Information Protection Law (art. 57) requires, we tell you:',
        `The information involved: ${names(categories, 1, p.categories, ', ')}`,
        `The cause: ${names(causes, 1, p.cause, ', ')}`,
        `The possible harm: ${names(harms, 1, p.harms, ', ')}`,
        `What we have done: ${names(measures, 1, p.measures, ', ')}`,
        `What you can do: ${names(actions, 1, p.actions, ', ')}`,
        `How to reach us: ${names(contacts, 1, p.contact, ', ')}, incident ${p.caseId}`,
      ].join('\n'),
  },
};

export const breachTemplates: TemplateSet = {
  /** 6.4.1 "立即启动应急预案": every supervisor hears of the breach. */
  'breach.opened': {
    delivery: 'at-least-once',
    'zh-CN': { subject: (p) => `个人信息泄露事件 ${p.caseId}:请立即启动应急预案`, text: (p) => `来源:${p.source};发现时间:${p.detectedAt}。请一名主管认领事件负责人任务。` },
    en: { subject: (p) => `Personal-information breach ${p.caseId}: start the emergency plan`, text: (p) => `Source: ${p.source}; detected at ${p.detectedAt}. A supervisor takes the incident lead task.` },
  },
  'breach.individual_notice': individualNotice,
};

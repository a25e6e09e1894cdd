// E-mail templates: the shape, the templates every process shares (SLA reminders, escalations, the
// satisfaction survey) and rendering. Each process keeps its own templates next to it
// (processes/<name>.templates.ts). Templates carry only what the recipient already knows: the case id,
// the request type, amounts and deadlines; never names, phones or addresses.

export type Params = Record<string, string | number | null>;
export type Template = { subject: (p: Params) => string; text: (p: Params) => string };
export type Locale = 'zh-CN' | 'en';
export type TemplateSet = Record<string, Record<Locale, Template>>;

/** A policy duration as the workflow passes it ("2 working-hours"), in words of the recipient's language. */
export function within(value: string | number | null | undefined, locale: Locale): string {
  const m = /^(\d+(?:\.\d+)?) (minutes|hours|days|working-hours|working-days)$/.exec(String(value ?? ''));
  if (!m) return String(value ?? '');
  const [, amount, unit] = m;
  const words: Record<string, [string, string]> = {
    minutes: [' 分钟', ' minutes'],
    hours: [' 小时', ' hours'],
    days: [' 天', ' days'],
    'working-hours': [' 个工作小时', ' working hours'],
    'working-days': [' 个工作日', ' working days'],
  };
  return `${amount}${words[unit][locale === 'en' ? 1 : 0]}`;
}

/** Templates of every process: SLA reminders and escalations of tasks, the 7.1 satisfaction survey. */
export const sharedTemplates: TemplateSet = {
  'survey.requested': {
    'zh-CN': { subject: (p) => `请评价本次售后服务(${p.caseId})`, text: (p) => `感谢您的耐心。请为售后申请 ${p.caseId} 的服务打分,您的反馈将帮助我们改进(政策 7.1)。` },
    en: { subject: (p) => `How did we do? (${p.caseId})`, text: (p) => `Please rate the after-sales service for case ${p.caseId}; your feedback helps us improve.` },
  },
  'task.reminder': {
    'zh-CN': { subject: (p) => `任务即将到期(${p.caseId})`, text: (p) => `案件 ${p.caseId} 的任务 ${p.taskType} 将于 ${p.dueAt} 到期。` },
    en: { subject: (p) => `Task due soon (${p.caseId})`, text: (p) => `Task ${p.taskType} of case ${p.caseId} is due at ${p.dueAt}.` },
  },
  'task.escalated': {
    'zh-CN': { subject: (p) => `任务已超时升级(${p.caseId})`, text: (p) => `案件 ${p.caseId} 的任务 ${p.taskType} 已于 ${p.dueAt} 超时,现已升级。` },
    en: { subject: (p) => `Task escalated (${p.caseId})`, text: (p) => `Task ${p.taskType} of case ${p.caseId} passed its deadline (${p.dueAt}) and was escalated.` },
  },
};

export function renderTemplate(set: TemplateSet, name: string, locale: string, params: Params): { subject: string; text: string } {
  const t = set[name];
  if (!t) throw new Error(`Unknown notification template '${name}'`);
  const l: Locale = locale === 'en' ? 'en' : 'zh-CN';
  return { subject: t[l].subject(params), text: t[l].text(params) };
}

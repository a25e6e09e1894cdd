// E-mail templates: the shape, the templates every process shares (SLA reminders, escalations, the
// satisfaction survey) and rendering. Each process keeps its own templates next to it
// (processes/<name>.templates.ts). Templates carry only what the recipient already knows: the case id,
// the request type, amounts and deadlines; never names, phones or addresses.

export type Params = Record<string, string | number | null>;
export type Template = { subject: (p: Params) => string; text: (p: Params) => string };
export type Locale = 'zh-CN' | 'en';
/**
 * How the outbox delivers a template's notices when a send was interrupted (the process died between the SMTP answer
 * and its record, so nobody knows whether the message left):
 * - 'at-least-once': the claim is sent again, with the same Message-ID (derived from the row), so that mail clients and
 *   auditors see a duplicate as such. For notices that carry a right or start a legal clock (approvals, rejections with
 *   their routes of appeal, refunds, deadlines): a lost one harms the recipient more than a duplicate.
 * - 'at-most-once': the claim ends 'uncertain' and is never sent again (acknowledgements, shipping news, surveys).
 */
export type Delivery = 'at-least-once' | 'at-most-once';
/**
 * A template: its text in each locale, and how it is delivered after an interrupted send. `fanOut`: one notice to many
 * recipients of one case (a breach's individuals, PIPL art. 57): the outbox delivers its rows in pages, several at a
 * time, and records each page on the case's trail as one `notification.sent_page` event (counts and a cursor), never
 * one event per recipient; each row still records its own send (status, Message-ID, time).
 */
export type TemplateDef = Record<Locale, Template> & { delivery: Delivery; fanOut?: boolean };
export type TemplateSet = Record<string, TemplateDef>;

/** A template declared from its texts and its delivery. */
export const template = (delivery: Delivery, texts: Record<Locale, Template>, o: { fanOut?: boolean } = {}): TemplateDef => ({ ...texts, delivery, ...(o.fanOut && { fanOut: true }) });

/** The templates the outbox delivers in pages (TemplateDef.fanOut). */
export const fanOutTemplates = (set: TemplateSet): string[] => Object.entries(set).filter(([, t]) => t.fanOut).map(([name]) => name);

/** The delivery a template declares ('at-most-once' for a name not in the set). */
export function deliveryOf(set: TemplateSet, name: string): Delivery {
  return set[name]?.delivery ?? 'at-most-once';
}

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
  // A request for feedback: no right, no clock.
  'survey.requested': {
    delivery: 'at-most-once',
    'zh-CN': { subject: (p) => `请评价本次售后服务(${p.caseId})`, text: (p) => `感谢您的耐心。请为售后申请 ${p.caseId} 的服务打分,您的反馈将帮助我们改进(政策 7.1)。` },
    en: { subject: (p) => `How did we do? (${p.caseId})`, text: (p) => `Please rate the after-sales service for case ${p.caseId}; your feedback helps us improve.` },
  },
  // Staff and merchant reminders of an internal SLA; the party's own notice of its deadline is the process's template.
  'task.reminder': {
    delivery: 'at-most-once',
    'zh-CN': { subject: (p) => `任务即将到期(${p.caseId})`, text: (p) => `案件 ${p.caseId} 的任务 ${p.taskType} 将于 ${p.dueAt} 到期。` },
    en: { subject: (p) => `Task due soon (${p.caseId})`, text: (p) => `Task ${p.taskType} of case ${p.caseId} is due at ${p.dueAt}.` },
  },
  // A message in the case's thread (api/routes/threads.ts): that one exists and from whom, never its words. No right or clock.
  'thread.message_posted': {
    delivery: 'at-most-once',
    'zh-CN': {
      subject: (p) => `案件 ${p.caseId} 有新留言`,
      text: (p) => `${p.from === 'merchant' ? '商家' : p.from === 'customer' ? '消费者' : '平台客服'}在案件 ${p.caseId} 中留言${Number(p.attachments) > 0 ? `(附件 ${p.attachments} 个)` : ''}。请登录查看并回复。`,
    },
    en: {
      subject: (p) => `New message on case ${p.caseId}`,
      text: (p) => `${p.from === 'merchant' ? 'The merchant' : p.from === 'customer' ? 'The customer' : 'Customer service'} wrote on case ${p.caseId}${Number(p.attachments) > 0 ? ` (${p.attachments} attachment(s))` : ''}. Sign in to read it and reply.`,
    },
  },
  'task.escalated': {
    delivery: 'at-most-once',
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

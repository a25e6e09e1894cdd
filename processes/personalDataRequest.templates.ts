// E-mail templates of the personal-data request (zh-CN and en). Codes, dates and the case id only; the export goes by
// its signed, expiring link, never as an attachment. A notice that answers the request, gives reasons or opens the
// appeal carries a right (PIPL art. 50) and is sent at least once.
import type { Delivery, Params, TemplateDef, TemplateSet } from '../activities/templates';

const t = (delivery: Delivery, zhSubject: (p: Params) => string, zhText: (p: Params) => string, enSubject: (p: Params) => string, enText: (p: Params) => string): TemplateDef => ({
  delivery,
  'zh-CN': { subject: zhSubject, text: zhText },
  en: { subject: enSubject, text: enText },
});
const typeZh: Record<string, string> = { access: '查阅', copy: '复制', correction: '更正', deletion: '删除', cancellation: '注销账户' };
const typeEn: Record<string, string> = { access: 'access', copy: 'a copy', correction: 'correction', deletion: 'deletion', cancellation: 'account cancellation' };
const reasonZh: Record<string, string> = {
  legal_retention_required: '法律、行政法规规定的保存期限未届满(如《电子商务法》第三十一条:交易记录至少保存三年)',
  law_requires_secrecy: '法律、行政法规规定应当保密或者不需要告知',
  other_persons_data: '涉及他人的个人信息',
  manifestly_unfounded: '请求明显无理或重复',
  correction_not_accurate: '未能证明更正内容准确',
  legal_claim_pending: '处理相关法律纠纷所必需',
};
const reasonEn: Record<string, string> = {
  legal_retention_required: 'a period for which a law requires keeping the data has not ended (e.g. E-Commerce Law art. 31: transaction records for at least 3 years)',
  law_requires_secrecy: 'a law or administrative regulation requires secrecy or no notice',
  other_persons_data: "the data concerns another person",
  manifestly_unfounded: 'the request is manifestly unfounded or repeated',
  correction_not_accurate: 'the correction was not shown to be accurate',
  legal_claim_pending: 'the data is needed for a pending legal claim',
};
const list = (v: unknown, names: Record<string, string>, sep: string) => String(v ?? '').split(',').filter(Boolean).map((x) => names[x] ?? x).join(sep);
const retainedZh = (p: Params) => (p.retained ? `\n依法保留(仅保留最少必要内容,期满后删除):${String(p.retained).split(',').map((r) => { const [table, rule, until] = r.split(':'); return `${table}(${rule},至 ${until === 'case_open' ? '相关案件结束后三年' : until})`; }).join(';')}。` : '');
const retainedEn = (p: Params) => (p.retained ? `\nKept as the law requires (stripped to the minimum, deleted when the period ends): ${String(p.retained).split(',').map((r) => { const [table, rule, until] = r.split(':'); return `${table} (${rule}, until ${until === 'case_open' ? '3 years after the open case closes' : until})`; }).join('; ')}.` : '');
const courtZh = '如对处理结果有异议,您可以依法向人民法院提起诉讼(《个人信息保护法》第五十条)。';
const courtEn = 'You may bring the matter to a people’s court (PIPL art. 50).';

export const personalDataRequestTemplates: TemplateSet = {
  'pdr.verification_code': t(
    'at-most-once',
    (p) => `个人信息请求 ${p.caseId} 验证码`,
    (p) => `您的个人信息请求 ${p.caseId} 验证码为 ${p.code},${p.minutes} 分钟内有效。请勿告诉他人。`,
    (p) => `Code for personal-data request ${p.caseId}`,
    (p) => `Your code for personal-data request ${p.caseId} is ${p.code} (valid ${p.minutes} minutes). Never share it with anyone.`,
  ),
  'pdr.received': t(
    'at-most-once',
    (p) => `已受理您的个人信息${typeZh[String(p.requestType)] ?? p.requestType}请求 ${p.caseId}`,
    (p) => `您的身份已核验,个人信息${typeZh[String(p.requestType)] ?? p.requestType}请求 ${p.caseId} 已受理,我们将及时处理并告知结果。`,
    (p) => `Personal-data request ${p.caseId} received`,
    (p) => `Your identity is verified and your request for ${typeEn[String(p.requestType)] ?? p.requestType} (${p.caseId}) is being handled; we will tell you the result.`,
  ),
  'pdr.export_ready': t(
    'at-least-once',
    (p) => `您的个人信息副本已可下载(${p.caseId})`,
    (p) => `请通过以下链接下载您的个人信息(签名的 tar.gz 文件),链接有效期至 ${p.expiresAt}:\n${p.link}\n本邮件不含附件。`,
    (p) => `Your personal data is ready to download (${p.caseId})`,
    (p) => `Download your personal data (a signed tar.gz archive) from this link, valid until ${p.expiresAt}:\n${p.link}\nThis e-mail carries no attachment.`,
  ),
  'pdr.answered': t(
    'at-least-once',
    (p) => `个人信息请求 ${p.caseId} 已处理`,
    (p) =>
      `您的个人信息${typeZh[String(p.requestType)] ?? p.requestType}请求 ${p.caseId} 已处理${p.outcome === 'partly_fulfilled' ? '(部分)' : ''}。` +
      (p.corrected ? `\n已更正:${p.corrected}。` : '') +
      (p.linkExpiresAt ? `\n下载链接已另行发送,有效期至 ${p.linkExpiresAt}。` : '') +
      retainedZh(p) +
      (p.mustFinish ? `\n以下进行中的案件将继续办理完毕:${p.mustFinish}。` : '') +
      (p.reasons ? `\n未予办理部分的理由:${list(p.reasons, reasonZh, ';')}。${courtZh}` : ''),
    (p) => `Personal-data request ${p.caseId} answered`,
    (p) =>
      `Your request for ${typeEn[String(p.requestType)] ?? p.requestType} (${p.caseId}) has been ${p.outcome === 'partly_fulfilled' ? 'partly ' : ''}carried out.` +
      (p.corrected ? `\nCorrected: ${p.corrected}.` : '') +
      (p.linkExpiresAt ? `\nThe download link was sent separately; it is valid until ${p.linkExpiresAt}.` : '') +
      retainedEn(p) +
      (p.mustFinish ? `\nThese open cases will be finished: ${p.mustFinish}.` : '') +
      (p.reasons ? `\nWhat was not done, and why: ${list(p.reasons, reasonEn, '; ')}. ${courtEn}` : ''),
  ),
  'pdr.refused': t(
    'at-least-once',
    (p) => `个人信息请求 ${p.caseId} 未予办理`,
    (p) => `您的个人信息${typeZh[String(p.requestType)] ?? p.requestType}请求 ${p.caseId} 未予办理,理由:${list(p.reasons, reasonZh, ';')}。您可以在 ${p.appealBy} 前申请复核一次。${courtZh}`,
    (p) => `Personal-data request ${p.caseId} refused`,
    (p) => `Your request for ${typeEn[String(p.requestType)] ?? p.requestType} (${p.caseId}) was refused because: ${list(p.reasons, reasonEn, '; ')}. You may appeal once before ${p.appealBy}. ${courtEn}`,
  ),
  'pdr.partly_refused': t(
    'at-least-once',
    (p) => `个人信息请求 ${p.caseId} 部分未予办理`,
    (p) => `您的个人信息${typeZh[String(p.requestType)] ?? p.requestType}请求 ${p.caseId} 部分未予办理,理由:${list(p.reasons, reasonZh, ';')}。您可以在 ${p.appealBy} 前申请复核一次。${courtZh}`,
    (p) => `Personal-data request ${p.caseId} partly refused`,
    (p) => `Part of your request for ${typeEn[String(p.requestType)] ?? p.requestType} (${p.caseId}) was refused because: ${list(p.reasons, reasonEn, '; ')}. You may appeal once before ${p.appealBy}. ${courtEn}`,
  ),
  'pdr.appeal_upheld': t(
    'at-least-once',
    (p) => `个人信息请求 ${p.caseId} 复核结果`,
    (p) => `经另一名主管复核,维持对请求 ${p.caseId} 的决定,理由:${list(p.reasons, reasonZh, ';')}。${courtZh}`,
    (p) => `Personal-data request ${p.caseId}: appeal decided`,
    (p) => `Another supervisor reviewed your appeal and upheld the decision on request ${p.caseId}: ${list(p.reasons, reasonEn, '; ')}. ${courtEn}`,
  ),
};

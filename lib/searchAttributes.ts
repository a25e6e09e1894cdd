// Custom search attributes registered on the Temporal server, so Web UI and CLI can filter cases.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const CaseType = defineSearchAttributeKey('CaseType', SearchAttributeType.KEYWORD);
export const CaseStatus = defineSearchAttributeKey('CaseStatus', SearchAttributeType.KEYWORD);
export const MerchantId = defineSearchAttributeKey('MerchantId', SearchAttributeType.KEYWORD);

export const caseSearchAttributes = [CaseType, CaseStatus, MerchantId];

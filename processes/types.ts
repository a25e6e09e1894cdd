// The shape of a policy process module: everything the API, the OpenAPI document, the authorization
// matrix, the worker and the fixtures need to know about one process, declared once. The workflow-side
// half (task types, party actions, rules) lives in policy/<process>.ts, which workflows import.
import type { Request, Response } from 'express';
import type { z } from 'zod';
import type { Case } from '@prisma/client';
import type { ActivityDeps } from '../activities';
import type { TemplateSet } from '../activities/templates';
import type { PartyScope, Principal, RoleDecl, ScopeKindDecl } from '../lib/authz';
import type { ApiDeps, CaseOpeningDeps } from './deps';
import type { Prisma } from '../lib/db';
import type { SubjectRefKind } from '../lib/subjects';
import type { BusinessCalendar } from '../policy/businessCalendar';
import type { ActionTable, HistoryBound, TaskTable } from '../policy/process';
import type { Role } from '../policy/roles';
import type { AccessPurpose } from '../lib/personalAccess';

/** The part of the policy document every process reads besides its own section. */
export interface PolicyBase {
  version: string;
  calendar: BusinessCalendar;
}

/** The route reading a case, and why (X-Access-Purpose): what a read of personal fields in clear records. */
export interface CaseReadAccess {
  route: string;
  purpose: AccessPurpose;
}

/** What opening a case writes: the workflow input, the case row, and the process's own rows. */
export interface CaseStart<I> {
  /** The workflow input: ids, enums and amounts only; never names, numbers or free text. */
  input: I;
  /**
   * The case row. `facets`: enums the process's reports group by, fixed at the opening, in the order its reports read
   * them (cases.facets, copied on the stage spans; processes/reports.ts). Never personal data.
   */
  row: { customerId: string; merchantId: string | null; summary: Record<string, unknown>; facets?: string[] };
  /** The customer's contact data for notifications: PostgreSQL only (parties). */
  contact?: { customerId: string; email?: string; displayName?: string; locale?: string };
  /**
   * The case's party references (kind and value, e.g. the rights holder a notice names), stored with the case
   * (case_parties) in its opening statement: a scope kind read from a reference (`ScopeKindDecl.from.partyRef`) matches them.
   */
  parties?: PartyScope[];
  /**
   * How `row.customerId` names the customer, resolved to a data subject (lib/subjects.ts) in the opening statement:
   * a storefront's customer reference (the default) or a registered account's user ref.
   */
  customerRef?: Extract<SubjectRefKind, 'storefront_customer' | 'account'>;
  /** Process-specific rows written in the case's transaction (e.g. the repair's description), with the customer's subject. */
  writes?: (tx: Prisma.TransactionClient, opened: { subjectId: string }) => Promise<void>;
}

export interface OpenContext<S> {
  /** The API's or the worker's (a case opened by another case): what opening a case needs, no more. */
  deps: CaseOpeningDeps;
  principal: Principal;
  caseId: string;
  requestedAt: Date;
  /** The policy new cases start with: its version and calendar, and this process's section. */
  policy: PolicyBase;
  section: S;
}

/** A success answer: its status, description, body schema (the zod schema the handler answers with) and headers. */
export interface ResponseSpec {
  status: number;
  description: string;
  /** The body. Absent only for answers that are not JSON (then `contentType` says what they are). */
  schema?: z.ZodType;
  /** Default application/json. */
  contentType?: string;
  /** Response headers besides X-Request-Id, by name of components.headers (Location, IdempotentReplayed, RetryAfter). */
  headers?: string[];
}

/** An extra route a process needs (a report, a status page, a verification step), mounted by the generic machinery. */
export interface ProcessRoute {
  id: string;
  method: 'get' | 'post';
  /** Express style, under /v1. */
  path: string;
  roles: readonly Role[];
  /**
   * The path parameter naming the route's case (default: caseId, when the path has it): a case out of the principal's
   * party scopes answers 404 before the handler runs, as the case's own routes.
   */
  caseParam?: string;
  summary: string;
  /** The OpenAPI tag (default: the case type). */
  tag?: string;
  body?: z.ZodType;
  query?: z.ZodType;
  headers?: Record<string, { required: boolean; description: string; schema?: z.ZodType }>;
  /** The success answer with the zod schema of its body (documented in /openapi.json, checked by the API tests). */
  success: ResponseSpec & { schema: z.ZodType };
  otherResponses?: ResponseSpec[];
  errors: number[];
  handler: (deps: ApiDeps, req: Request, res: Response) => Promise<void>;
}

/** A confirmed e-mail intake (processes/mailIntake.ts), as a process turns it into its opening body. */
export interface ConfirmedMailIntake {
  /** mail_intakes.id: the opening's idempotency key. */
  intakeId: string;
  /**
   * The customer whose stored contact (parties.email) is the sender's address, or, when none is, a complainant id
   * derived from the address (`mail-<hash>`).
   */
  customerId: string;
  /** True when no customer had the address: the opening stores it as the customer's contact (customerContact). */
  newCustomer: boolean;
  /** The sender's address (the From that received and confirmed the link), lower case. */
  email: string;
  /** The subject and the text part, trimmed, at most MAIL_INTAKE_MAX_DESCRIPTION characters: PostgreSQL only, never in a workflow. */
  description: string;
}

/**
 * A process that opens cases from e-mail to an address of the inbound domain (README "E-mail intake"): the listener
 * keeps the mail, the sender confirms by a signed link, and the confirmation opens the case through the case-opening
 * service (key: the intake id), with the mail's files attached. A new address is a declaration here, no edit of api/.
 */
export interface MailIntakeDecl {
  /** The local part at INBOUND_MAIL_DOMAIN (MAIL_INTAKE_LOCAL_PARTS may rename it: `<caseType>=<localPart>`). */
  localPart: string;
  /** What the confirmation page calls the case (e.g. 投诉 / complaint). */
  noun: { 'zh-CN': string; en: string };
  /** The template of the confirmation e-mail (at least once; params: link, expiresAt, files, refused). */
  template: string;
  /** The opening body (as POST /v1/cases takes it, without `type`), opened by the intake's principal (role agent). */
  open: (intake: ConfirmedMailIntake) => Record<string, unknown>;
}

/**
 * A report a process declares: the generic machinery mounts it as GET /v1/reports/<name> (processes/reports.ts), with
 * its query and result in the API description and its roles in the authorization matrix. Reads only, over the read
 * model (PostgreSQL), never Temporal.
 */
export interface ProcessReport<Q = any, R = any> {
  /** The path segment: GET /v1/reports/<name>. Unique across the catalogue. */
  name: string;
  summary: string;
  roles: readonly Role[];
  /** The query string: a flat, strict z.object (an invalid one answers 400 before `run`). */
  query: z.ZodType<Q>;
  /** The answer's body. */
  result: z.ZodType<R>;
  /** Builds the report; may refuse the query with an ApiError (400) past what the schema checks (e.g. the period). */
  run: (deps: ApiDeps, query: Q) => Promise<R>;
}

/**
 * An outside system that signs its events to POST /v1/webhooks/<source> (api/routes/webhooks.ts), declared by a process:
 * its secret's variable, its event schema and what an event does (e.g. opens a case through the opening service). The
 * route checks the signature, the timestamp and the nonce as for every source, stores the event once per (source, event
 * id) on the case it opened, and answers 202, or 200 for an event id received before.
 */
export interface WebhookSourceDecl<E = any> {
  /** The path segment: POST /v1/webhooks/<source>. Unique across the catalogue (and not `carrier`). */
  source: string;
  /** The environment variable with its HMAC-SHA256 key (32+ characters; a development key when unset outside production). */
  secretVariable: string;
  summary: string;
  /** The event (zod, strict): ids, codes and times. */
  event: z.ZodType<E>;
  eventId: (event: E) => string;
  type: (event: E) => string;
  /**
   * The case the event opens, through the case-opening service (processes/caseOpening.ts: the same validation and
   * idempotency as POST /v1/cases): the body (without `type`), the principal it is opened as, and the idempotency key
   * (derived from the event id: the same event never opens a second case).
   */
  opens: (event: E) => { body: Record<string, unknown>; principal: Principal; idempotencyKey: string };
}

export interface ProcessModule<K extends string = string, S = any, I extends { caseId: string; openedBy: string } = any, B = any> {
  /** The case type (cases.type, the CaseType search attribute, the `type` of POST /v1/cases). */
  caseType: string;
  /** Case ids are `<idPrefix>-<uuid>`. */
  idPrefix: string;
  title: string;
  /** The sections of the platform policy (POLICY.zh.txt) the process implements, e.g. "7.1, 7.3". */
  policyRefs: string;
  /** The workflow function (its name is the workflow type). */
  workflow: (input: I) => Promise<unknown>;
  /**
   * The module that exports `workflow` under its name, as `require.resolve` gives it: the worker bundles the catalogue's
   * workflow modules (worker/caseWorkflows.ts), so the catalogue's line is the only index a process needs.
   */
  workflowModule: string;
  /** The process's section of the policy document: schema, defaults, and the version of those defaults. */
  policy: { key: K; schema: z.ZodType<S, any>; defaults: S; version: string };
  tasks: TaskTable;
  actions: ActionTable;
  /**
   * The roles the process adds to the platform's (README "Roles and party scopes"): e.g. a mediator, a rights holder.
   * A role name is declared once in the catalogue; its principals are created by an admin with the scopes it takes.
   */
  roles?: readonly RoleDecl[];
  /** The party scope kinds the process adds: a kind and how it is read from a case (a case column or a party reference). */
  scopes?: readonly ScopeKindDecl[];
  /**
   * The history bound past which a case of this process continues as new (CaseKit, README "Cases longer than one
   * run"). The workflow passes the same constant (from policy/<process>.ts) to its CaseKit; none: one run per case.
   */
  history?: HistoryBound;
  /** Its e-mail templates, zh-CN and en. */
  templates: TemplateSet;
  open: {
    roles: readonly Role[];
    summary: string;
    /** The request body without `type` (a plain z.object, so that it joins the discriminated union). */
    body: z.ZodObject<any>;
    /** Checks a z.object cannot carry into the union (e.g. password strength): each issue is a 400. */
    check?: (body: B) => { path: string; message: string }[];
    /** Policy checks (throw an ApiError to refuse: nothing is written) and what to write. */
    prepare: (ctx: OpenContext<S>, body: B) => Promise<CaseStart<I>> | CaseStart<I>;
    /** The error for a unique violation that is not the idempotency key (e.g. a taken username). */
    onUniqueViolation?: (body: B) => Error;
  };
  /**
   * Fields the case resource adds for this process (PostgreSQL rows beside the case). Personal fields go through
   * personalReadsOf(deps).reveal with `access` (masked for roles that do not need them, reads in clear recorded).
   */
  present?: (deps: ApiDeps, c: Case, principal: Principal, access: CaseReadAccess) => Promise<Record<string, unknown>>;
  /** The zod schema of what `present` adds (each field optional on the case resource of the API description). */
  presentSchema?: z.ZodObject<any>;
  routes?: ProcessRoute[];
  /** Cases opened by e-mail to an address of its own, confirmed by the sender (processes/mailIntake.ts). */
  mailIntake?: MailIntakeDecl;
  /** Outside systems that sign their events to POST /v1/webhooks/<source> (api/routes/webhooks.ts). */
  webhooks?: WebhookSourceDecl[];
  /** Its reports, each mounted as GET /v1/reports/<name> (processes/reports.ts). */
  reports?: ProcessReport[];
  /** The process's own activities, registered by the worker beside the shared ones. */
  activities?: (deps: ActivityDeps) => Record<string, (...args: any[]) => Promise<unknown>>;
  /** The workflow's summary in the Temporal UI. */
  describe: (caseId: string) => string;
}

/** Declares a process, keeping its literal policy key and its types. */
export function defineProcess<const K extends string, S, I extends { caseId: string; openedBy: string }, B>(p: ProcessModule<K, S, I, B>): ProcessModule<K, S, I, B> {
  return p;
}

export type AnyProcess = ProcessModule<string, any, any, any>;

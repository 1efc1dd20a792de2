// The library's public functions. They never print and never exit: they return results and
// report progress through an optional event callback. The CLI is one caller; tests are another.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isPromoteError, PromoteError, type Problem } from "./errors.js";
import type { DigestAlgorithm } from "./integrity/digests.js";
import type { Signer, TrustedKeys } from "./integrity/pgp.js";
import type { MetadataMode } from "./maven/metadata-merge.js";
import { createPlan, planChecksums, type PlanInput } from "./plan/plan.js";
import { dropWarmStage, warmStage } from "./plan/stage-warmup.js";
import type { Plan } from "./plan/plan-types.js";
import { promote as runPromotion, type PromoteInput, type PromoteResult, type PromotionEvent } from "./promotion/promote.js";
import { verifyRepository, type VerifyRepositoryResult } from "./promotion/verify-repository.js";
import { cleanup as runCleanup, type CleanupResult } from "./promotion/cleanup.js";
import { readTargetStatus, type TargetStatus } from "./promotion/history.js";
import type { LockInfo } from "./promotion/lock.js";
import { forceUnlock, resume as resumePromotion, rollback as rollbackPromotion, type RollbackResult } from "./promotion/recovery.js";
import { HttpSource } from "./transport/http-source.js";
import { groupOrder, promoteGroup as runGroup, type GroupMember, type GroupResult, type OnPartial } from "./promotion/group.js";
import type { GroupRecord } from "./promotion/journal.js";
import { releaseLock } from "./promotion/lock.js";
import { readJournal } from "./promotion/journal.js";
import { stateDirectory } from "./promotion/rename-list.js";
import { newPromotionId } from "./plan/promotion-id.js";
import { expectationsFromPlan, waitUntilPublic, type PublicCheckReport, type PublicExpectation } from "./promotion/public-check.js";
import { httpCredentials } from "./connect/http-credentials.js";
import { inspectStage } from "./plan/inspect-stage.js";
import type { Policy } from "./policy/policy.js";
import { downloadTree } from "./transport/download-tree.js";
import { parseLocation } from "./connect/location.js";
import { isConnectionLost } from "./promotion/reconnect.js";
import { backoff, DEFAULT_RETRIES, openTransport, type OpenedTransport, type SshSettings } from "./connect/open-transport.js";

export type PromoteEvent =
  | PromotionEvent
  | { type: "fetch:done"; files: number }
  /** --public-wait: some files are not yet served as written; the next read is in nextPollMs. */
  | { type: "public:poll"; attempt: number; problems: number; nextPollMs: number };

export interface PlanOptions {
  /** The staging repository: a path, file:// URL or sftp://user@host[:port]/path. */
  from: string;
  /** The target repository: a path, file:// URL or sftp://user@host[:port]/path. */
  to: string;
  metadataMode?: MetadataMode;
  checksums?: readonly DigestAlgorithm[];
  signer?: Signer;
  trustedKeys?: TrustedKeys;
  requireSignatures?: boolean;
  requireMetadataSignatures?: boolean;
  /** Extra rules the stage must meet (default: none beyond the usual checks). */
  policy?: Policy;
  /** SSH settings for sftp:// locations. */
  ssh?: SshSettings;
  now?: Date;
  onEvent?: (event: PromoteEvent) => void;
}

export interface PromoteOptions extends PlanOptions {
  dryRun?: boolean;
  /** How long to wait for another promotion's lock (ms; default 0: fail at once). */
  waitMs?: number;
  executor?: "auto" | "shell" | "transport";
  /** With the shell executor: perl (the commit in one process), sh, or auto (perl where present). */
  commitRunner?: "auto" | "perl" | "sh";
  /** With the shell executor: stream a tar into the server's `tar -x` (auto: where it has one), or upload a zip and unzip it. */
  unpack?: "auto" | "tar" | "zip";
  /** Before upload and commit: false (or a HookStop) stops cleanly, "pause" keeps the upload for resume (PromoteInput). */
  beforePhase?: PromoteInput["beforePhase"];
  afterPhase?: PromoteInput["afterPhase"];
  onFailure?: PromoteInput["onFailure"];
  /** After the commit, read the release back through this URL, as users download it. */
  publicUrl?: string;
  /** With publicUrl: read again (honouring max-age) until it is served as written, for at most this long (ms). */
  publicWaitMs?: number;
  /** The promotion's id (default: a new one); a group's members share one. */
  id?: string;
  /** A member of a group promotion (promoteGroup): the group is named in the journal. */
  group?: GroupRecord;
}

export interface GroupPromoteOptions extends Omit<PromoteOptions, "to" | "id" | "group" | "publicUrl" | "publicWaitMs" | "dryRun"> {
  /** Every target, promoted as one (at least two, each once). */
  targets: readonly string[];
  /** When a commit fails after others succeeded: roll every target back (default), or keep the committed ones. */
  onPartial?: OnPartial;
  /** Each target's public URL (by target), read back once the whole group committed. */
  publicUrls?: Readonly<Record<string, string>>;
  /** With publicUrls: read again until each is served as written, for at most this long (ms). */
  publicWaitMs?: number;
}

/**
 * Promotes one stage into several targets as one (group.ts): every target prepared (planned,
 * locked, uploaded) before any commit, then committed one after the other; all show the new
 * release, or (with onPartial "rollback") none.
 */
export async function promoteGroup(options: GroupPromoteOptions): Promise<GroupResult> {
  const targets = [...options.targets];
  if (targets.length < 2) throw new PromoteError("ERR_USAGE", "a group promotion needs at least two --to targets", { path: "--to" });
  const twice = targets.find((target, index) => targets.indexOf(target) !== index);
  if (twice !== undefined) throw new PromoteError("ERR_USAGE", `--to ${twice} is given twice`, { path: "--to" });
  for (const target of targets) parseLocation(target, "--to");
  for (const url of Object.values(options.publicUrls ?? {})) publicBaseUrl(url);
  const id = newPromotionId(options.now ?? new Date());
  const group: GroupRecord = { members: groupOrder(targets.map((to) => ({ to }))).map((member) => member.to) };
  const { targets: _targets, onPartial, publicUrls, publicWaitMs, ...shared } = options;
  // The stage is pulled once (an SFTP or HTTP stage) and kept until every target is committed.
  return withStage(options, async (stagingDirectory) => {
    const members: GroupMember[] = group.members.map((to) => ({
      to,
      prepare: () =>
        promote({
          ...shared,
          from: stagingDirectory,
          to,
          id,
          group,
          // Every target is prepared before any commits: each stops at the commit's door, keeping its lock.
          beforePhase: async (phase, plan) => {
            const decision = await options.beforePhase?.(phase, plan);
            return decision === undefined || decision === true ? (phase === "commit" ? "pause" : true) : decision;
          },
        }),
      commit: () => resume({ id, to, from: stagingDirectory, keepLock: true, ...recoveryShared(options) }),
      rollback: async () => rollback({ id, to, ...recoveryShared(options) }),
      release: () => withTarget({ to, ...(options.ssh === undefined ? {} : { ssh: options.ssh }) }, (target) => releaseLock(target.transport, id)),
    }));
    const result = await runGroup(id, members, onPartial ?? "rollback");
    // What users of each target download, once every target shows the release (the stage is still here).
    if (result.state === "committed") {
      for (const member of result.members) {
        const url = publicUrls?.[member.to];
        if (url === undefined || member.result === undefined) continue;
        member.public = await checkPublicUrl({
          url,
          expected: await expectationsFromPlan(member.result.plan),
          waitMs: publicWaitMs ?? 0,
          ...(options.ssh === undefined ? {} : { ssh: options.ssh }),
          ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
        });
      }
    }
    return result;
  });
}

function recoveryShared(options: Pick<PromoteOptions, "ssh" | "waitMs" | "onEvent">): Pick<RecoveryOptions, "ssh" | "waitMs" | "onEvent"> {
  return {
    ...(options.ssh === undefined ? {} : { ssh: options.ssh }),
    ...(options.waitMs === undefined ? {} : { waitMs: options.waitMs }),
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
  };
}

/** Computes what promoting `from` into `to` would do. Reads both repositories; writes nothing. */
export async function plan(options: PlanOptions): Promise<Plan> {
  // It reads only: a connection lost in the middle is opened again and the plan made again.
  for (let lost = 0; ; lost++) {
    try {
      return await withRepositories(options, async (stagingDirectory, target) => createPlan(planInput(options, stagingDirectory, target)));
    } catch (error) {
      if (!isConnectionLost(error) || lost >= (options.ssh?.retries ?? DEFAULT_RETRIES)) throw error;
      await backoff(options.ssh, lost);
    }
  }
}

/** Promotes `from` into `to`: plan, stage, upload, commit, verify, finish. */
export async function promote(options: PromoteOptions): Promise<PromoteResult> {
  if (options.publicUrl !== undefined) publicBaseUrl(options.publicUrl); // a bad URL is refused before anything is written
  let expected: PublicExpectation[] | undefined;
  const result = await withRepositories(options, async (stagingDirectory, target, replaceTarget) => {
    const promoted = await runPromotion({
      ...planInput(options, stagingDirectory, target),
      remoteRoot: target.root,
      // A connection lost mid-way is opened again after the same backoff as a refused one.
      reconnects: options.ssh?.retries ?? DEFAULT_RETRIES,
      reopen: async (attempt) => {
        await backoff(options.ssh, attempt - 1);
        return replaceTarget(await openTransport(options.to, "--to", options.ssh)).transport;
      },
      ...(options.dryRun === undefined ? {} : { dryRun: options.dryRun }),
      ...(options.waitMs === undefined ? {} : { waitMs: options.waitMs }),
      ...(options.executor === undefined ? {} : { executor: options.executor }),
      ...(options.commitRunner === undefined ? {} : { commitRunner: options.commitRunner }),
      ...(options.unpack === undefined ? {} : { unpack: options.unpack }),
      ...(options.beforePhase === undefined ? {} : { beforePhase: options.beforePhase }),
      ...(options.afterPhase === undefined ? {} : { afterPhase: options.afterPhase }),
      ...(options.onFailure === undefined ? {} : { onFailure: options.onFailure }),
      ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
      ...(options.id === undefined ? {} : { id: options.id }),
      ...(options.group === undefined ? {} : { group: options.group }),
    });
    // Taken while the stage is here (a fetched stage is gone once this returns).
    if (options.publicUrl !== undefined && promoted.state === "committed" && options.dryRun !== true) expected = await expectationsFromPlan(promoted.plan);
    return promoted;
  });
  if (options.publicUrl !== undefined && expected !== undefined) {
    result.public = await checkPublicUrl({ url: options.publicUrl, expected, waitMs: options.publicWaitMs ?? 0, ...(options.ssh === undefined ? {} : { ssh: options.ssh }), ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }) });
  }
  return result;
}

/** Reads `expected` through the public URL as users would, polling for up to waitMs until it is served as written. */
export async function checkPublicUrl(options: { url: string; expected: readonly PublicExpectation[]; waitMs: number; ssh?: SshSettings; onEvent?: (event: PromoteEvent) => void }): Promise<PublicCheckReport> {
  const source = publicSource(options.url, options.ssh);
  try {
    return await waitUntilPublic(options.url, options.expected, (path) => source.readAsUser(path), {
      waitMs: options.waitMs,
      onPoll: (poll) => options.onEvent?.({ type: "public:poll", ...poll }),
    });
  } catch (error) {
    // The promotion is live whatever the public URL answers: its report still comes out.
    if (!isPromoteError(error)) throw error;
    return { url: options.url, ok: false, checked: options.expected.length, attempts: 1, waitedMs: 0, problems: [], error: error.message };
  } finally {
    await source.close();
  }
}

export interface RecoveryOptions {
  /** The promotion id, as printed by promote and listed by status. */
  id: string;
  to: string;
  ssh?: SshSettings;
  /** How long to wait for the promotion's own work to end, and for another promotion's lock (ms). */
  waitMs?: number;
  /** Stop the promotion's work that still runs (SIGTERM, then SIGKILL after a grace period). */
  stop?: boolean;
  onEvent?: (event: PromoteEvent) => void;
}

/** Finishes an interrupted promotion from its journal. */
export async function resume(options: RecoveryOptions & { from?: string; keepLock?: boolean }): Promise<PromoteResult> {
  const staging = options.from === undefined ? undefined : parseLocation(options.from, "--from");
  if (staging !== undefined && staging.kind !== "local") {
    throw new PromoteError("ERR_CONFIG", `--from ${options.from}: resume reads staged files from a local directory`, { path: "--from" });
  }
  return withTarget(options, (target) =>
    resumePromotion({
      target: target.transport,
      id: options.id,
      remoteRoot: target.root,
      ...(staging === undefined ? {} : { stagingDirectory: staging.path }),
      ...(options.keepLock === undefined ? {} : { keepLock: options.keepLock }),
      ...(options.waitMs === undefined ? {} : { waitMs: options.waitMs }),
      ...(options.stop === undefined ? {} : { stop: options.stop }),
      ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
    }),
  );
}

/**
 * Finishes a group promotion on every target (the same --to list): each member's journal must
 * be there (a member the group never reached cannot be finished: roll the group back), then
 * each is committed, every lock kept until all are.
 */
export async function resumeGroup(options: Omit<RecoveryOptions, "to"> & { targets: readonly string[]; from?: string }): Promise<Array<{ to: string; result: PromoteResult }>> {
  const targets = groupOrder(options.targets.map((to) => ({ to }))).map((member) => member.to);
  for (const to of targets) {
    const onRecord = await withTarget({ to, ...(options.ssh === undefined ? {} : { ssh: options.ssh }) }, async (target) => (await readJournal(target.transport, stateDirectory(options.id))) !== undefined);
    if (!onRecord) {
      throw new PromoteError("ERR_RECOVERY_REFUSED", `promotion ${options.id} never reached ${to} (no journal there), so the group cannot be finished: roll it back with the same --to list, then promote again`, { path: to });
    }
  }
  const results: Array<{ to: string; result: PromoteResult }> = [];
  for (const to of targets) results.push({ to, result: await resume({ ...options, to, keepLock: true }) });
  for (const to of targets) await withTarget({ to, ...(options.ssh === undefined ? {} : { ssh: options.ssh }) }, (target) => releaseLock(target.transport, options.id));
  return results;
}

/** Undoes a group promotion on every target (the same --to list); a target it never reached is left as it is. */
export async function rollbackGroup(options: Omit<RecoveryOptions, "to"> & { targets: readonly string[] }): Promise<Array<{ to: string; result: RollbackResult | undefined }>> {
  const targets = groupOrder(options.targets.map((to) => ({ to }))).map((member) => member.to);
  const results: Array<{ to: string; result: RollbackResult | undefined }> = [];
  // Newest commit first: the group committed in this order.
  for (const to of [...targets].reverse()) {
    try {
      results.unshift({ to, result: await rollback({ ...options, to }) });
    } catch (error) {
      if (!isPromoteError(error) || error.code !== "ERR_PROMOTION_NOT_FOUND") throw error;
      results.unshift({ to, result: undefined });
    }
  }
  return results;
}

/** Returns the target to its state before the promotion. */
export async function rollback(options: RecoveryOptions): Promise<RollbackResult> {
  return withTarget(options, (target) =>
    rollbackPromotion({
      target: target.transport,
      id: options.id,
      remoteRoot: target.root,
      ...(options.waitMs === undefined ? {} : { waitMs: options.waitMs }),
      ...(options.stop === undefined ? {} : { stop: options.stop }),
      ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
    }),
  );
}

/** The target's lock and the promotions on record. */
export async function status(options: { to: string; ssh?: SshSettings }): Promise<TargetStatus> {
  return withTarget(options, (target) => readTargetStatus(target.transport));
}

export interface CleanupOptions {
  to: string;
  ssh?: SshSettings;
  /** Leftovers younger than this are kept (ms; default 24 h). */
  olderThanMs?: number;
  dryRun?: boolean;
  /** Also walk the whole target for .rip names that no journal names. */
  scan?: boolean;
  /** How long to wait for a promotion's work still running on the server (ms). */
  waitMs?: number;
  /** Stop a promotion's work still running on the server, then clean up after it. */
  stop?: boolean;
}

export async function cleanup(options: CleanupOptions): Promise<CleanupResult> {
  return withTarget(options, (target) =>
    runCleanup({
      target: target.transport,
      olderThanMs: options.olderThanMs ?? 24 * 3600 * 1000,
      dryRun: options.dryRun ?? false,
      scan: options.scan ?? false,
      ...(options.waitMs === undefined ? {} : { waitMs: options.waitMs }),
      ...(options.stop === undefined ? {} : { stop: options.stop }),
    }),
  );
}

/**
 * Breaks the target's lock, whoever holds it; returns whose it was. A holder that still runs
 * (its client, or its processes on the server) is waited for, stopped, or refused, as asked.
 */
export async function unlock(options: { to: string; ssh?: SshSettings; waitMs?: number; stop?: boolean }): Promise<LockInfo | undefined> {
  return withTarget(options, (target) =>
    forceUnlock({
      target: target.transport,
      ...(options.waitMs === undefined ? {} : { waitMs: options.waitMs }),
      ...(options.stop === undefined ? {} : { stop: options.stop }),
    }),
  );
}

async function withTarget<T>(options: { to: string; ssh?: SshSettings }, action: (target: OpenedTransport) => Promise<T>): Promise<T> {
  const target = await openTransport(options.to, "--to", options.ssh);
  try {
    return await action(target);
  } finally {
    await target.transport.close();
  }
}

export interface VerifyOptions {
  to: string;
  paths?: readonly string[];
  trustedKeys?: TrustedKeys;
  ssh?: SshSettings;
  /** Also read every metadata file and its checksums through this URL, as users download them. */
  publicUrl?: string;
  /** With publicUrl: read again until they are served as the target holds them, for at most this long (ms). */
  publicWaitMs?: number;
  onEvent?: (event: PromoteEvent) => void;
}

/** Checks a target repository's metadata, checksums, signatures and listed versions. */
export async function verify(options: VerifyOptions): Promise<VerifyRepositoryResult & { public?: PublicCheckReport }> {
  if (options.publicUrl !== undefined) publicBaseUrl(options.publicUrl);
  const publicExpectations: PublicExpectation[] | undefined = options.publicUrl === undefined ? undefined : [];
  const { transport } = await openTransport(options.to, "--to", options.ssh);
  let result: VerifyRepositoryResult;
  try {
    result = await verifyRepository({
      target: transport,
      ...(options.paths === undefined ? {} : { paths: options.paths }),
      ...(options.trustedKeys === undefined ? {} : { trustedKeys: options.trustedKeys }),
      ...(publicExpectations === undefined ? {} : { publicExpectations }),
    });
  } finally {
    await transport.close();
  }
  if (options.publicUrl === undefined || publicExpectations === undefined) return result;
  const checked = await checkPublicUrl({
    url: options.publicUrl,
    expected: publicExpectations,
    waitMs: options.publicWaitMs ?? 0,
    ...(options.ssh === undefined ? {} : { ssh: options.ssh }),
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
  });
  return { ...result, public: checked };
}

function planInput(options: PlanOptions, stagingDirectory: string, target: OpenedTransport): PlanInput {
  return {
    stagingDirectory,
    source: options.from,
    target: target.transport,
    ...(options.metadataMode === undefined ? {} : { mode: options.metadataMode }),
    ...(options.checksums === undefined ? {} : { checksums: options.checksums }),
    ...(options.signer === undefined ? {} : { signer: options.signer }),
    ...(options.trustedKeys === undefined ? {} : { trustedKeys: options.trustedKeys }),
    requireSignatures: options.requireSignatures ?? false,
    requireMetadataSignatures: options.requireMetadataSignatures ?? false,
    ...(options.policy === undefined ? {} : { policy: options.policy }),
    ...(options.now === undefined ? {} : { now: options.now }),
  };
}

/** A public URL, read as an anonymous user reads it (--ca-file still applies). */
function publicSource(url: string, ssh: SshSettings | undefined): HttpSource {
  return new HttpSource(publicBaseUrl(url), {
    ...(ssh?.caFile === undefined ? {} : { caFile: ssh.caFile }),
    attempts: (ssh?.retries ?? DEFAULT_RETRIES) + 1,
    ...(ssh?.retryBackoffMs === undefined ? {} : { backoffMs: ssh.retryBackoffMs }),
  });
}

/** --public-url as the base URL files are read below (with a trailing slash); ERR_CONFIG when it is no http(s) URL. */
function publicBaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new PromoteError("ERR_CONFIG", `--public-url ${url}: not a URL`, { path: "--public-url" });
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new PromoteError("ERR_CONFIG", `--public-url ${url}: only http:// and https:// URLs`, { path: "--public-url" });
  return parsed.href.endsWith("/") ? parsed.href : `${parsed.href}/`;
}

/** An HTTP(S) stage, with a settings.xml server's credentials (--from-server-id) or ~/.netrc's, and --ca-file. */
function httpSource(url: string, ssh: SshSettings | undefined, env: NodeJS.ProcessEnv): HttpSource {
  const { username, password } = httpCredentials(url, ssh?.servers?.["--from"], env);
  return new HttpSource(url, {
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    ...(ssh?.caFile === undefined ? {} : { caFile: ssh.caFile }),
    ...(ssh?.httpListing === undefined ? {} : { listing: ssh.httpListing }),
    attempts: (ssh?.retries ?? DEFAULT_RETRIES) + 1,
    ...(ssh?.retryBackoffMs === undefined ? {} : { backoffMs: ssh.retryBackoffMs }),
  });
}

/**
 * Opens the target, and makes the stage a local directory: a local stage is used where it is,
 * an SFTP stage is pulled into a temporary directory first (DESIGN.md, fetch).
 */
async function withRepositories<T>(
  options: PlanOptions,
  action: (stagingDirectory: string, target: OpenedTransport, replaceTarget: (next: OpenedTransport) => OpenedTransport) => Promise<T>,
): Promise<T> {
  // The stage's scan and digests need nothing of the target: they run while its login does.
  const source = parseLocation(options.from, "--from");
  if (source.kind === "local") warmStage(source.path, planChecksums(options.checksums));
  let target = await openTransport(options.to, "--to", options.ssh).catch((error: unknown) => {
    dropWarmStage();
    throw error;
  });
  // A reconnection hands over a new transport: the lost one is closed, the new one closed at the end.
  const replaceTarget = (next: OpenedTransport): OpenedTransport => {
    void target.transport.close().catch(() => undefined);
    target = next;
    return next;
  };
  try {
    return await withStage(options, (stagingDirectory) => action(stagingDirectory, target, replaceTarget));
  } finally {
    await target.transport.close();
  }
}

/** The stage as a local directory: where it is, or pulled into a temporary one (removed after). */
async function withStage<T>(options: Pick<PlanOptions, "from" | "ssh" | "onEvent">, action: (stagingDirectory: string) => Promise<T>): Promise<T> {
  const source = parseLocation(options.from, "--from");
  if (source.kind === "local") return action(source.path);
  const fetched = await mkdtemp(join(tmpdir(), "maven-promote-stage-"));
  try {
    const stagingDirectory = join(fetched, "stage");
    const files = await downloadStage(options, source.kind === "http" ? source.url : undefined, stagingDirectory);
    options.onEvent?.({ type: "fetch:done", files });
    return await action(stagingDirectory);
  } finally {
    await rm(fetched, { recursive: true, force: true });
  }
}

/**
 * Downloads the stage. An HTTP stage retries each request itself; an SFTP stage whose connection
 * is lost is connected to again and downloaded again, as often as --retries allows.
 */
async function downloadStage(options: Pick<PlanOptions, "from" | "ssh">, httpUrl: string | undefined, stagingDirectory: string): Promise<number> {
  for (let lost = 0; ; lost++) {
    const remote = httpUrl !== undefined ? httpSource(httpUrl, options.ssh, process.env) : (await openTransport(options.from, "--from", options.ssh)).transport;
    try {
      return await downloadTree(remote, stagingDirectory);
    } catch (error) {
      if (!isConnectionLost(error) || lost >= (options.ssh?.retries ?? DEFAULT_RETRIES)) throw error;
      await backoff(options.ssh, lost);
    } finally {
      await remote.close();
    }
  }
}

export interface CheckOptions {
  /** The staging repository: a path, file:// URL, sftp:// or http(s):// URL. */
  from: string;
  trustedKeys?: TrustedKeys;
  requireSignatures?: boolean;
  policy?: Policy;
  ssh?: SshSettings;
  onEvent?: (event: PromoteEvent) => void;
}

export interface CheckResult {
  ok: boolean;
  source: string;
  policy: string;
  /** Every problem, sorted by path: each breaks a rule (its code, or its policy rule). */
  errors: Problem[];
  warnings: Array<{ path: string; message: string; rule?: string }>;
  files: number;
}

/** Checks a stage on its own, with no target: every problem the policy finds, not just the first. */
export async function check(options: CheckOptions): Promise<CheckResult> {
  return withStage(options, async (stagingDirectory) => {
    const stage = await inspectStage({
      stagingDirectory,
      source: options.from,
      checksums: ["md5", "sha1"],
      ...(options.trustedKeys === undefined ? {} : { trustedKeys: options.trustedKeys }),
      ...(options.requireSignatures === undefined ? {} : { requireSignatures: options.requireSignatures }),
      ...(options.policy === undefined ? {} : { policy: options.policy }),
    });
    const errors = [...stage.problems].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return { ok: errors.length === 0, source: options.from, policy: options.policy?.name ?? "default", errors, warnings: stage.warnings, files: stage.files.length };
  });
}

/**
 * Power cuts at random moments on the real firmware in the in-process VM (shared by
 * `npm run bench:power` and the deterministic version in `npm test`).
 *
 * One board runs a chain: act (a wrong code, the right code, the first enrolment, a companion
 * enrolment, a user the companion adds), cut the power at the k-th flash write after the action's last key (the VM's flash
 * write has then completed) or after a random delay, power on from whatever the flash kept, check,
 * act again. Some cuts also tear or corrupt the image being written, inside the bytes that write
 * changed (the VM saves its whole flash image at once; a real chip writes only the settings
 * region): only part of the new bytes written ("torn_write"), 1-3 flipped bits ("flipped_bits"),
 * or the end of the written region left erased ("erased_tail"). Each boot is checked against what the lock had
 * already confirmed before the cut:
 *  - counter_resets: the failure counter reads lower than the last failure the lock answered;
 *  - lost_users: a code (or companion) confirmed before the cut is gone;
 *  - opened_without_code: the latch went to the unlocked angle with no right code just typed;
 *  - broken_audit_chains: the firmware's own check of the audit hash chain at boot (every link of
 *    every saved segment under the key derived from the device key) says BROKEN. Entries still
 *    in RAM when the power goes (the log batches them for up to 5 s) are lost, not broken.
 */
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { addUser } from "../../companion/admin"
import { command, enrol, KeyStore } from "../../companion/protocol"
import { LatchkeyClient } from "../../host/lock-client"
import { MASTER, newBoard, sleep, SimulatedBoard } from "./board"
import { InProcessDevice } from "../../sim/devices/device"
import { Rng } from "./stats"
import { BackupTaken, restoreAndCheck, takeBackup } from "./powercut-restore"
import { onRollback } from "../../companion/rollback"
import { weakCodeReason } from "../../src/core/index"

export type CutKind = "wrong_attempt" | "unlock" | "enrolment" | "companion" | "user_change" | "torn_write" | "flipped_bits" | "erased_tail"

export interface CutStats {
    cuts: number
    counter_resets: number
    lost_users: number
    broken_audit_chains: number
    opened_without_code: number
    boot_failures: number
    store_formats: number
    /** Boots the VM aborted before a later boot came up (each counted; a board that never came up is a boot failure). */
    crashed_boots: number
    /** Steps the harness itself could not complete (e.g. keys lost on a loaded machine); recovered by a power cycle, not counted as cuts. */
    harness_errors: number
    /** Problems after cuts that left the written image intact / damaged. */
    intact: Record<string, number>
    damaged: Record<string, number>
    by_kind: Record<string, number>
    at_write: number
    at_random_time: number
    /** Actions the lock confirmed before the cut, which the next boot must still show. */
    confirmed: Record<string, number>
    findings: string[]
    /** Backups taken (the real `latchkey backup` code) after the lock confirmed a user change. */
    backups: number
    /** Cuts that lost state (a formatted or bricked store, lost users or companion) with no backup yet (the first enrolment). */
    losses_without_backup: number
    /** Restores run after a loss (program button, then the real `latchkey restore` code over the bus). */
    restores: number
    /** Of those, restores that needed the reset ritual first (the lock was still set up with what it had left). */
    restores_after_reset: number
    /** Restores that did not complete (refused or not back); their users count in lost_after_restore. */
    restore_failures: number
    /** Users of the backup (each code, and the companion's key) that still do not work after the restore. */
    lost_after_restore: number
    /**
     * Cuts after which the lock came up with older state (users, companion or failure count gone
     * back) and nothing reported it: no STORE LOST at that boot, and the companion's next command
     * (when one is sent) neither found the store's generation behind nor had its key refused.
     */
    silent_rollbacks: number
    /** Of the cuts that brought older state: found by the companion (a sealed answer's generation below the highest it saw; repaired and reported to the lock). */
    rollbacks_found: number
    /** Of the cuts that brought older state: the companion's key refused, and the companion said its store may have gone back (a suspicion: a clear refusal proves nothing). */
    rollbacks_suspected: number
}

/** Rollback reports of the real companion code (companion/rollback.ts), by lock id, in this process. */
const rollbackReports = new Map<string, number>()
let listening = false

function listenForRollbacks() {
    if (listening) return
    listening = true
    onRollback(r => rollbackReports.set(r.lock, (rollbackReports.get(r.lock) ?? 0) + 1))
}

const RESTORE_FIELDS = ["backups", "losses_without_backup", "restores", "restores_after_reset", "restore_failures", "lost_after_restore", "silent_rollbacks", "rollbacks_found", "rollbacks_suspected"] as const

export function emptyStats(): CutStats {
    return { cuts: 0, counter_resets: 0, lost_users: 0, broken_audit_chains: 0, opened_without_code: 0, boot_failures: 0, store_formats: 0, crashed_boots: 0, harness_errors: 0, intact: {}, damaged: {}, by_kind: {}, at_write: 0, at_random_time: 0, confirmed: {}, findings: [], backups: 0, losses_without_backup: 0, restores: 0, restores_after_reset: 0, restore_failures: 0, lost_after_restore: 0, silent_rollbacks: 0, rollbacks_found: 0, rollbacks_suspected: 0 }
}

export function addStats(a: CutStats, b: CutStats): CutStats {
    const by = { ...a.by_kind }
    for (const [k, v] of Object.entries(b.by_kind)) by[k] = (by[k] ?? 0) + v
    const restore = Object.fromEntries(RESTORE_FIELDS.map(k => [k, a[k] + b[k]])) as Pick<CutStats, (typeof RESTORE_FIELDS)[number]>
    return {
        ...restore,
        cuts: a.cuts + b.cuts,
        counter_resets: a.counter_resets + b.counter_resets,
        lost_users: a.lost_users + b.lost_users,
        broken_audit_chains: a.broken_audit_chains + b.broken_audit_chains,
        opened_without_code: a.opened_without_code + b.opened_without_code,
        boot_failures: a.boot_failures + b.boot_failures,
        store_formats: a.store_formats + b.store_formats,
        crashed_boots: a.crashed_boots + b.crashed_boots,
        harness_errors: a.harness_errors + b.harness_errors,
        intact: merge(a.intact, b.intact),
        damaged: merge(a.damaged, b.damaged),
        by_kind: by,
        at_write: a.at_write + b.at_write,
        at_random_time: a.at_random_time + b.at_random_time,
        confirmed: merge(a.confirmed, b.confirmed),
        findings: [...a.findings, ...b.findings].sort((x, y) => Number(/torn|flipped|erased/.test(x)) - Number(/torn|flipped|erased/.test(y))).slice(0, 40),
    }
}

function merge(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
    const out = { ...a }
    for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v
    return out
}

/** What the lock has confirmed, i.e. what must survive any cut. */
interface Truth {
    codes: number
    companions: number
    minFailures: number
    lockoutMs: number
}

type Damage = "none" | "torn_write" | "flipped_bits" | "erased_tail"

export class CutChain {
    readonly stats = emptyStats()
    private b!: SimulatedBoard
    private truth: Truth = { codes: 0, companions: 0, minFailures: 0, lockoutMs: 0 }
    private allowOpenUntil = 0
    private checkedMoves = 0
    private client!: LatchkeyClient
    private readonly dir = mkdtempSync(join(tmpdir(), "latchkey-cut-"))
    private store = new KeyStore(join(this.dir, "keys.json"))
    /** The codes the lock confirmed, in order (the first is MASTER): what a backup must bring back. */
    private codes: string[] = []
    /** The newest backup, and whether the lock confirmed a change since. */
    private backup: BackupTaken | undefined
    private backupStale = false
    private prevImage = new Uint8Array(0)

    constructor(private readonly rng: Rng, private readonly opts: { damage: number; companions: boolean }) {}

    private note(s: string) {
        // problems after intact writes matter most: they always make the list
        if (this.stats.findings.length < 30 || !/torn|flipped|erased/.test(s)) this.stats.findings.push(s)
    }

    /** Counts a problem found after the cut described by `what`. */
    private confirm(kind: string) {
        this.stats.confirmed[kind] = (this.stats.confirmed[kind] ?? 0) + 1
        this.backupStale = true
    }

    private problem(field: "counter_resets" | "lost_users" | "broken_audit_chains" | "opened_without_code" | "boot_failures" | "store_formats", what: string, n = 1) {
        if (n <= 0) return
        this.stats[field] += n
        const bucket = /torn|flipped|erased/.test(what) ? this.stats.damaged : this.stats.intact
        bucket[field] = (bucket[field] ?? 0) + n
    }

    async start() {
        this.b = newBoard("firmware-fast")
        this.b.flash.onSave = () => this.onSave()
        await this.b.powerOn()
        this.client = new LatchkeyClient(this.b.bus)
    }

    async dispose() {
        await this.b?.dispose()
    }

    /**
     * The board's log index at every power cut so far. A VM stopped from inside a callback still
     * finishes its current time slice (its flash writes and frames are dropped, but its console
     * lines still arrive): lines after a cut come from a dead chip and teach the oracle nothing.
     */
    private cutIndices: number[] = []

    /** Log index of the last cut (Infinity: none yet). */
    private lastCut(): number {
        return this.cutIndices.length ? this.cutIndices[this.cutIndices.length - 1] : Infinity
    }

    private cut() {
        this.cutIndices.push(this.b.running ? this.b.logs.length : this.lastCut())
        this.b.powerCut()
    }

    // ----- flash write hook: counts writes after a mark, cuts at the k-th, maybe damages it
    private writesSinceMark = 0
    private cutAtWrite = 0
    private damage: Damage = "none"
    private onSave() {
        const img = this.b.flash.image
        this.writesSinceMark++
        if (this.cutAtWrite > 0 && this.writesSinceMark === this.cutAtWrite) {
            this.cutAtWrite = 0
            if (this.damage !== "none") this.b.flash.image = this.damaged(this.prevImage, img, this.damage)
            this.cut()
        }
        this.prevImage = img.slice()
    }

    /** The image as a cut in the middle of writing `next` over `prev` could leave it. */
    private damaged(prev: Uint8Array, next: Uint8Array, how: Damage): Uint8Array {
        const out = next.slice()
        const changed: number[] = []
        for (let i = 0; i < next.length; i++) if (prev[i] !== next[i]) changed.push(i)
        if (!changed.length) return out
        if (how === "erased_tail") {
            // the write stopped part-way through its region: the rest of the region reads erased (0xff)
            const from = this.rng.range(changed[0], changed[changed.length - 1])
            for (let i = from; i <= changed[changed.length - 1]; i++) out[i] = 0xff
            return out
        }
        if (how === "torn_write") {
            // only some of the new bytes reached the chip: a prefix (in address order, or reversed)
            const keep = this.rng.int(changed.length)
            const order = this.rng.chance(0.5) ? changed : [...changed].reverse()
            for (let i = keep; i < order.length; i++) out[order[i]] = prev[order[i]] ?? 0xff
        } else {
            for (let i = 0, n = this.rng.range(1, 3); i < n; i++) out[this.rng.pick(changed)] ^= 1 << this.rng.int(8)
        }
        return out
    }

    // ----- the chain
    private async cutAfter(kind: CutKind, act: () => Promise<void>, writes: number) {
        const damage: Damage = this.rng.chance(this.opts.damage) ? this.rng.pick(["torn_write", "flipped_bits", "erased_tail"] as Damage[]) : "none"
        const atWrite = damage !== "none" || this.rng.chance(0.6)
        this.writesSinceMark = 0
        this.damage = damage
        this.cutAtWrite = atWrite ? this.rng.range(1, writes) : 0
        let timer: NodeJS.Timeout | undefined
        await act().catch(() => {}) // a cut may interrupt what the action waits for
        if (!atWrite) timer = setTimeout(() => this.cut(), this.rng.int(150))
        const end = Date.now() + 3000
        while (this.b.running && Date.now() < end) await sleep(5)
        if (timer) clearTimeout(timer)
        this.cutAtWrite = 0
        if (this.b.running) this.cut() // the write never came: cut anyway
        this.stats.cuts++
        const k = damage === "none" ? kind : damage
        this.stats.by_kind[k] = (this.stats.by_kind[k] ?? 0) + 1
        if (atWrite) this.stats.at_write++
        else this.stats.at_random_time++
        await this.bootAndCheck(`${k} (${atWrite ? "at a write" : "random time"})`)
    }

    /** Types keys up to (not including) the final '#', then presses '#' and returns at once. */
    private rightCodeTyped = false
    private companionTries = 0
    private userAdds = 0
    /** The last boot found the audit chain broken. */
    private chainBroken = false

    private async typeThenHash(code: string) {
        await this.b.type(code, 30)
        if (code === MASTER) {
            this.allowOpenUntil = Date.now() + 3000
            this.rightCodeTyped = true
        }
        const mark = this.b.logs.length
        // a cut can come while keyDown is still awaited (at the counter's flash write): the
        // watcher stops at it even when it starts after it
        const epoch = this.cutIndices.length
        await this.b.keyDown("#")
        this.watchAnswers(mark, epoch)
    }

    /**
     * Follows the firmware's answers after `mark` to keep the truth up to date, up to the first
     * cut after it started and no further: what a stopped VM still prints after a cut, and
     * everything after the next boot, belongs to no answer of this action (a watcher that lived
     * on into the next action once learned a dead chip's "failures N" and reported a reset).
     */
    private watchAnswers(mark: number, epoch: number) {
        const scan = () => {
            const cutAt = this.cutIndices.length > epoch ? this.cutIndices[epoch] : Infinity
            const end = Math.min(this.b.logs.length, cutAt)
            for (let i = mark; i < end; i++) this.learn(this.b.logs[i])
            mark = Math.max(mark, end)
            return cutAt !== Infinity
        }
        const iv = setInterval(() => {
            if (scan()) clearInterval(iv)
        }, 2)
        setTimeout(() => clearInterval(iv), 4000)
    }

    private learn(line: string) {
        let m: RegExpExecArray | null
        if ((m = /lock: (?:wrong code|invalid entry length) \(failures (\d+)\)(?:, lockout (\d+) ms)?/.exec(line))) {
            // the answer was given after the counter was written and read back
            this.truth.minFailures = Math.max(this.truth.minFailures, Number(m[1]))
        } else if (/lock: unlocked/.test(line)) {
            this.truth.minFailures = 0
        } else if (/lock: setup: code saved/.test(line)) {
            this.truth.codes = 1
            this.codes = [MASTER]
            this.confirm("enrolment")
        }
    }

    private checkLatch() {
        for (; this.checkedMoves < this.b.latchMoves.length; this.checkedMoves++) {
            const m = this.b.latchMoves[this.checkedMoves]
            if (this.b.isUnlockedAngle(m.angle) && m.at > this.allowOpenUntil) {
                this.problem("opened_without_code", "latch")
                this.note(`latch opened with no right code typed (at ${m.at})`)
            }
        }
    }

    private async bootAndCheck(what: string) {
        this.checkLatch()
        // what the lock had confirmed before this cut (a loss of nothing needs no restore)
        const had = this.truth.codes + this.truth.companions
        const mark = this.b.logs.length
        const before = this.b.logs.slice(Math.max(0, Math.min(mark, this.lastCut()) - 40), Math.min(mark, this.lastCut())).filter(l => l.startsWith("> ")).slice(-5).map(l => l.slice(2).replace("lock: ", "")).join(" / ")
        try {
            try {
                // a boot the VM aborts (on the ESP32: a reset follows) is powered on again, a few times
                for (let boot = 1; ; boot++) {
                    const at = this.b.logs.length
                    try {
                        await this.b.powerOn(8000)
                        break
                    } catch (e) {
                        if (boot >= 4 || !this.b.logs.slice(at).some(l => /Aborted\(|PANIC/.test(l))) throw e
                        this.stats.crashed_boots++
                        this.b.powerCut()
                    }
                }
            } catch (e) {
                // DeviceScript's flash store formats itself when it finds a damaged record. In this
                // VM the program lives in the same image and is lost with it; on the ESP32 the
                // program has a partition of its own and survives. Put the program back, as the
                // board would still have it, keep the (formatted) settings, and check that boot.
                if (!this.b.logs.slice(mark).some(l => /fstor: formatting now/.test(l))) throw e
                this.problem("store_formats", what)
                this.note(`after ${what}: the settings store formatted itself at boot (everything on it is gone)`)
                this.b.powerCut()
                ;(this.b.device as InProcessDevice).deployAtNextPowerOn()
                await this.b.powerOn(15000)
            }
        } catch {
            this.problem("boot_failures", what)
            const why = this.b.logs.slice(mark).filter(l => /abort|PANIC|Exception|empty packet|JD_PANIC|flash|format|invalid|error/i.test(l)).slice(0, 3).join("; ")
            if (process.env.LATCHKEY_CUT_DEBUG) console.log(this.b.logs.slice(mark).join("\n"))
            this.note(`after ${what}: the lock does not boot (${why || "no ready line"}); flash wiped to go on`)
            this.problem("lost_users", what, this.truth.codes + this.truth.companions)
            this.b.powerCut()
            await this.b.wipeFlash()
            this.startOver()
            await this.b.powerOn(12000)
            // reflashed: the owner restores the backup onto the empty store
            if (had > 0) await this.afterLoss(what)
            return
        }
        const formatted = this.b.logs.slice(mark).some(l => /fstor: formatting now/.test(l))
        const reported = this.b.logs.slice(mark).some(l => /lock: STORE LOST/.test(l))
        let lost = formatted || reported
        let rolledBack = false
        const bootLine = this.b.logs.slice(mark).find(l => /lock: boot: /.test(l)) ?? ""
        const chain = this.b.logs.slice(mark).find(l => /lock: audit: /.test(l)) ?? ""
        // a break stays in the log (it is evidence) and every later boot reports it again: count
        // the cut after which it first shows, not every boot after it
        const broken = /chain BROKEN/.test(chain)
        if (broken && !this.chainBroken) {
            this.problem("broken_audit_chains", what)
            this.note(`after ${what}: ${chain.replace(/^> lock: /, "")} (last lines before the cut: ${before})`)
        } else if (!chain) this.note(`after ${what}: no audit verdict at boot`)
        this.chainBroken = broken
        const m = /boot: (\d+) user\(s\), failures (\d+)/.exec(bootLine)
        const codes = m ? Number(m[1]) : -1
        const failures = m ? Number(m[2]) : -1
        if (codes < this.truth.codes) {
            this.problem("lost_users", what, this.truth.codes - Math.max(0, codes))
            lost = true
            rolledBack = true
            this.note(`after ${what}: ${this.truth.codes} code(s) confirmed, ${codes} after boot (last lines before the cut: ${before})`)
        }
        const legitReset = this.rightCodeTyped && failures === 0
        this.rightCodeTyped = false
        if (codes > 0 && failures < this.truth.minFailures && !legitReset) {
            this.problem("counter_resets", what)
            rolledBack = true
            this.note(`after ${what}: failure counter ${failures} < ${this.truth.minFailures} already answered (last lines before the cut: ${before})`)
        }
        const resumed = this.b.logs.slice(mark).map(l => /lockout resumed: (\d+) ms/.exec(l)).find(Boolean)
        this.truth.codes = Math.max(0, codes)
        this.truth.minFailures = codes > 0 ? failures : 0
        this.truth.lockoutMs = resumed ? Number(resumed[1]) : 0
        let found = false
        let suspected = false
        if (this.truth.companions > 0 && this.opts.companions && (/companion|torn|flipped|erased/.test(what) || this.rng.chance(0.1))) {
            // a companion confirmed before the cut must still work; its answer's generation is
            // checked by the real companion code, which reports a store found behind
            const reportsBefore = this.rollbacksReported()
            const ok = await command(this.client, this.store, "lock").then(() => "Ok", e => (e as Error).message)
            found = this.rollbacksReported() > reportsBefore
            suspected = /gone back in time/.test(ok)
            if (!/^Ok$|Busy/.test(ok)) {
                if (/did not authenticate|not enrolled/.test(ok)) {
                    this.problem("lost_users", what, this.truth.companions)
                    this.note(`after ${what}: companion key lost (${ok})`)
                    lost = true
                    rolledBack = true
                }
                this.truth.companions = 0
            }
            this.truth.minFailures = 0 // an accepted companion command clears the counter
        }
        this.checkLatch()
        // older state mounted (a stale store copy) with nothing said: no STORE LOST at this boot,
        // and the companion neither found the store behind nor said its key was refused
        if (rolledBack && !formatted && !reported) {
            if (found) {
                this.stats.rollbacks_found++
                this.note(`after ${what}: older state mounted; the companion found the store's generation behind and reported it`)
            } else if (suspected) {
                this.stats.rollbacks_suspected++
                this.note(`after ${what}: older state mounted; the companion's key refused and the companion said the store may have gone back`)
            } else {
                this.stats.silent_rollbacks++
                this.note(`after ${what}: older state mounted and nothing reported (a silent rollback)`)
            }
        }
        if (lost && had > 0) await this.afterLoss(what)
    }

    /** Rollback reports the companion made so far about this chain's lock. */
    private rollbacksReported(): number {
        let n = 0
        for (const k of this.store.all()) n += rollbackReports.get(k.lock) ?? 0
        return n
    }

    /** Forgets everything the lock held (its flash wiped). */
    private startOver() {
        this.truth = { codes: 0, companions: 0, minFailures: 0, lockoutMs: 0 }
        this.codes = []
        this.companionTries = 0
        this.userAdds = 0
        this.prevImage = new Uint8Array(0)
    }

    /** Before an action: a backup of the lock as it is, if it confirmed a change since the last one. */
    private async backUpIfChanged() {
        if (!this.backupStale || this.truth.codes === 0) return
        try {
            this.backup = await takeBackup(this.client, this.dir, this.stats.backups, this.codes.slice(0, this.truth.codes), this.truth.companions)
            this.stats.backups++
            this.backupStale = false
        } catch (e) {
            // e.g. settings still changing (an audit batch): the next action tries again
            this.note(`backup not taken: ${(e as Error).message.split("\n")[0]}`)
        }
    }

    /** After a cut that lost state: the owner restores the newest backup; counts who still does not work. */
    private async afterLoss(what: string) {
        const backup = this.backup
        if (!backup) {
            this.stats.losses_without_backup++
            return
        }
        this.stats.restores++
        const r = await restoreAndCheck(this.b, this.client, this.store, backup, () => (this.allowOpenUntil = Date.now() + 3000))
        if (r.reset) this.stats.restores_after_reset++
        this.stats.lost_after_restore += r.stillLost
        if (!r.restored) {
            this.stats.restore_failures++
            this.note(`after ${what}: restore failed (${r.why}); flash wiped to go on`)
            this.b.powerCut()
            await this.b.wipeFlash()
            this.startOver()
            this.backup = undefined
            await this.b.powerOn(12000)
            return
        }
        if (r.stillLost > 0) this.note(`after ${what}: ${r.stillLost} user(s) still lost after the restore (${r.why})`)
        this.codes = backup.codes.slice()
        const companionBack = backup.companions > 0 && r.stillLost === r.codesLost
        this.truth = { codes: backup.codes.length - r.codesLost, companions: companionBack ? backup.companions : 0, minFailures: 0, lockoutMs: 0 }
        this.checkLatch()
    }

    /** One action with one power cut; a step the harness cannot complete is recovered, not counted. */
    async step() {
        try {
            await this.act()
        } catch (e) {
            this.stats.harness_errors++
            this.note(`harness error (recovered by a power cycle): ${(e as Error).message.split("\n")[0]}`)
            this.cutAtWrite = 0
            this.cut()
            await this.bootAndCheck("a harness error")
        }
    }

    private async act() {
        const b = this.b
        await this.backUpIfChanged()
        if (this.truth.lockoutMs > 0) {
            await sleep(this.truth.lockoutMs + 150)
            this.truth.lockoutMs = 0
        }
        if (this.truth.codes === 0) {
            // the first enrolment; the cut falls during the confirming entry's writes (codes, counter)
            const mark = b.logs.length
            await b.pressProgramButton()
            await b.waitForLog(/setup: enter new code/, 5000, mark)
            await b.type(MASTER + "#", 25)
            await b.waitForLog(/setup: enter the same code again/, 5000, mark)
            await this.cutAfter("enrolment", () => this.typeThenHash(MASTER), 2)
            return
        }
        const r = this.rng.next()
        // at most 3 companion enrolments per board, answered or not (each is one sealed record of
        // its own; the lock keeps 12, revoked ones included)
        if (this.opts.companions && this.companionTries < 3 && r < 0.06) {
            this.companionTries++
            // a user change: a companion enrolled (one flash write); confirmed only when answered
            await b.pressProgramButton()
            await this.cutAfter("companion", async () => {
                const rec = await enrol(this.client, this.store)
                if (rec) {
                    this.truth.companions++
                    this.confirm("companion")
                }
            }, 1)
            return
        }
        if (this.opts.companions && this.truth.companions > 0 && this.userAdds < 40 && r < 0.2) {
            // a user change: the companion adds a named user (the attempt counted, the user chunk,
            // the name chunk, the attempt taken back, the urgent audit entry); confirmed when answered
            this.userAdds++
            const code = acceptableCode(this.rng)
            await this.cutAfter("user_change", async () => {
                await addUser(this.client, this.store, { type: 0, params: [], name: `guest ${this.userAdds}` }, code)
                this.truth.codes++
                this.codes.push(code)
                this.confirm("user_change")
            }, 5)
            return
        }
        // every action starts on a fresh boot, so nothing is typed yet (a '*' here would start the
        // recovery grammar, '*' code '#', and turn every right code into a wrong one)
        if (this.truth.minFailures >= 4 || r < 0.3) {
            // the counter counted, the counter cleared, the urgent audit entry
            await this.cutAfter("unlock", () => this.typeThenHash(MASTER), 3)
            return
        }
        await this.cutAfter("wrong_attempt", () => this.typeThenHash(this.rng.chance(0.9) ? wrongCode(this.rng) : this.rng.digits(this.rng.range(1, 3))), 1)
    }
}

/** A 6-digit code the lock's weak-code rules take (one another user has is still refused). */
function acceptableCode(rng: Rng): string {
    for (;;) {
        const c = rng.digits(6)
        if (weakCodeReason(c) === null) return c
    }
}

function wrongCode(rng: Rng): string {
    for (;;) {
        const c = rng.digits(4)
        if (c !== MASTER) return c
    }
}

/** Steps a board may take again after a harness error, so that a run still makes its number of cuts. */
const MAX_RETAKEN = 10

/** Runs `cuts` power cuts over `boards` boards in parallel. */
export async function runCuts(cuts: number, boards: number, seed: number, opts = { damage: 0.12, companions: true }, progress?: (done: number) => void): Promise<CutStats> {
    listenForRollbacks()
    let total = emptyStats()
    let started = 0
    let done = 0
    await Promise.all(
        Array.from({ length: Math.min(boards, cuts) }, async (_, i) => {
            const chain = new CutChain(new Rng(seed * 7919 + i), opts)
            await chain.start()
            try {
                while (started < cuts) {
                    started++
                    const errors = chain.stats.harness_errors
                    await chain.step()
                    // a step the harness could not complete made no cut: it is taken again (a few times at most)
                    if (chain.stats.harness_errors > errors && chain.stats.harness_errors <= MAX_RETAKEN) {
                        started--
                        continue
                    }
                    done++
                    progress?.(done)
                }
            } finally {
                await chain.dispose()
                total = addStats(total, chain.stats)
            }
        }),
    )
    return total
}

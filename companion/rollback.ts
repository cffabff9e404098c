/**
 * A lock whose store went back in time (DeviceScript's settings store can mount an older copy
 * after a power cut, and a restore puts back an older backup): revoked companions and deleted
 * users would be back, unnoticed by the lock itself. Every sealed answer carries the store's
 * generation (raised by each change of users, companions, mode or recovery code); the key file
 * remembers the highest one this computer saw and logs the changes it made that such a store
 * would undo (./keyfile.ts). On an answer below the highest seen (./protocol.ts request):
 *   1. say so, loudly;
 *   2. tell the lock (`rolled-back`, sealed, with the generation seen): it raises its generation
 *      past it, audits StoreRolledBack and raises the StoreLost alarm;
 *   3. apply again, in order, every logged change newer than the generation the lock answered with;
 *   4. report what was applied again and what failed.
 */
import { u32Args } from "../src/core/remote"
import { KeyStore, LoggedChange } from "./keyfile"

/** Commands a store gone back would undo, logged when the lock answers Ok (the keypad's own changes are not seen). */
const LOGGED = ["revoke", "lost-phone", "user-remove", "user-disable", "user-enable", "mode"]

/** Whether an Ok answer to `command` is logged, to be applied again after a rollback. */
export function isLogged(command: string): boolean {
    return LOGGED.includes(command)
}

/** What the repair after a rollback did. */
export interface RollbackReport {
    lock: string
    /** The generation the lock's answer carried, and the highest this computer had seen. */
    found: number
    remembered: number
    /** Whether the lock took the report (audit entry StoreRolledBack, alarm StoreLost). */
    told: boolean
    /** Changes applied again ("revoke 3"), and those that failed, with why. */
    reapplied: string[]
    failed: string[]
}

/** One logged change as a command line would give it. */
export function describeChange(c: LoggedChange): string {
    return [c.command, ...(c.command === "lost-phone" ? [] : c.args.map(String))].join(" ")
}

/** The loud first line: what was found. */
export function rollbackFound(lock: string, found: number, remembered: number): string {
    return `WARNING: the lock's store went back in time: generation ${found} < ${remembered} (the highest this computer saw from lock ${lock}); changes made since may be undone`
}

/** What the repair did, in words. */
export function rollbackText(r: RollbackReport): string {
    const lines = [rollbackFound(r.lock, r.found, r.remembered)]
    lines.push(r.told ? "the lock was told: it audited StoreRolledBack and raised the StoreLost alarm" : "the lock could not be told (see the failures below)")
    lines.push(r.reapplied.length > 0 ? `applied again: ${r.reapplied.join("; ")}` : "nothing this computer logged needed applying again")
    if (r.failed.length > 0) lines.push(`NOT applied again: ${r.failed.join("; ")}`)
    lines.push("changes made at the keypad, or by another computer, are not in this computer's log: check `latchkey users list` and `latchkey audit`")
    return lines.map(l => `latchkey: ${l}`).join("\n")
}

/** Who hears the report: the terminal's standard error, unless replaced (the benchmarks and tests count them). */
let reporter: (r: RollbackReport) => void = r => console.error(rollbackText(r))

/** Replaces who hears rollback reports; returns the previous one. */
export function onRollback(fn: (r: RollbackReport) => void): (r: RollbackReport) => void {
    const prev = reporter
    reporter = fn
    return prev
}

/** Sends one sealed command of the repair; resolves with the generation its Ok answer carried. */
export type RepairSend = (command: string, args: number[]) => Promise<{ generation: number }>

function why(e: unknown): string {
    return (e as Error).message.split("\n")[0]
}

/**
 * The repair after an answer of `lock` carried generation `found` below `remembered`: tells the
 * lock, applies again every logged change newer than `found`, in order, and reports.
 */
export async function recoverFromRollback(store: KeyStore, lock: string, found: number, remembered: number, send: RepairSend): Promise<RollbackReport> {
    const r: RollbackReport = { lock, found, remembered, told: false, reapplied: [], failed: [] }
    try {
        await send("rolled-back", u32Args(remembered))
        r.told = true
    } catch (e) {
        r.failed.push(`rolled-back: ${why(e)}`)
    }
    const changes = store.history(lock).changes
    for (let i = 0; i < changes.length; i++) {
        const c = changes[i]
        if (!(c.generation > found)) continue
        try {
            const a = await send(c.command, c.args)
            store.relogChange(lock, i, a.generation)
            r.reapplied.push(describeChange(c))
        } catch (e) {
            r.failed.push(`${describeChange(c)}: ${why(e)}`)
        }
    }
    reporter(r)
    return r
}

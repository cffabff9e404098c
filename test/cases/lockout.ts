/**
 * Wrong codes and the lockout: the policy's defaults, the lockout schedule (lockoutDurationMs),
 * and the lockout at the keypad (counted before the check, served, escalating, surviving reboots).
 */
import { DEFAULT_POLICY, lockoutDurationMs, Policy, SEVEN_DAYS_MS } from "../../src/core/index"
import { Suite } from "./check"
import { list, str, tail } from "./compare"
import { CODE, kinds, logs, OTHER, ready, Rig, show } from "./rig"

/** Durations for several failure counts, comma separated. */
function durations(p: Policy, counts: number[]): string {
    const out: string[] = []
    for (const f of counts) out.push(str(lockoutDurationMs(p, f)))
    return list(out)
}

async function failN(rig: Rig, n: number) {
    for (let i = 0; i < n; i++) await rig.enter(OTHER)
}

export function lockoutSuite(): Suite {
    return {
        name: "wrong codes and the lockout",
        cases: [
            {
                name: "DEFAULT_POLICY has the documented defaults",
                run: async check => {
                    check.eq(
                        JSON.stringify(DEFAULT_POLICY),
                        '{"minCodeLength":4,"maxCodeLength":8,"entryTimeoutMs":10000,"autoRelockMs":30000,"longPressMs":1000,' +
                            '"setupTimeoutMs":120000,"freeFailures":5,"lockoutBaseMs":30000,"lockoutMaxMs":604800000,' +
                            '"menuTimeoutMs":30000,"resetHoldMs":10000,"doorAjarMs":60000}',
                        "the policy",
                    )
                    check.eq(str(SEVEN_DAYS_MS), "604800000", "seven days")
                },
            },
            {
                name: "lockoutDurationMs is 0 for the first five failures",
                run: async check => {
                    check.eq(durations(DEFAULT_POLICY, [0, 1, 2, 3, 4, 5]), "0, 0, 0, 0, 0, 0", "0..5 failures")
                },
            },
            {
                name: "lockoutDurationMs doubles from 30 s: 30 s, 60 s, 120 s, 240 s ...",
                run: async check => {
                    check.eq(durations(DEFAULT_POLICY, [6, 7, 8, 9, 10]), "30000, 60000, 120000, 240000, 480000", "6..10 failures")
                    for (let f = 6; f <= 20; f++) check.eq(str(lockoutDurationMs(DEFAULT_POLICY, f)), str(30000 * 2 ** (f - 6)), `${f} failures`)
                },
            },
            {
                name: "lockoutDurationMs caps at 7 days",
                run: async check => {
                    check.eq(durations(DEFAULT_POLICY, [20, 21, 22, 100, 1000]), "491520000, 604800000, 604800000, 604800000, 604800000", "20.. failures")
                },
            },
            {
                name: "lockoutDurationMs does not overflow or hang for huge counts",
                run: async check => {
                    check.eq(durations(DEFAULT_POLICY, [1e9, 1e15, 9007199254740991, Infinity]), "604800000, 604800000, 604800000, 604800000", "huge counts")
                },
            },
            {
                name: "lockoutDurationMs is never negative and treats nonsense as no lockout",
                run: async check => {
                    check.eq(durations(DEFAULT_POLICY, [-3, -1, NaN]), "0, 0, 0", "negative, NaN")
                },
            },
            {
                name: "lockoutDurationMs follows a custom policy",
                run: async check => {
                    const p = DEFAULT_POLICY
                    const q: Policy = { ...p, freeFailures: 3, lockoutBaseMs: 1000, lockoutMaxMs: 5000 }
                    const noBase: Policy = { ...p, lockoutBaseMs: 0 }
                    const noFree: Policy = { ...p, freeFailures: 0 }
                    const lowCap: Policy = { ...p, lockoutMaxMs: 10000 }
                    check.eq(durations(q, [3, 4, 5, 6, 7, 8]), "0, 1000, 2000, 4000, 5000, 5000", "3 free, 1 s base, 5 s cap")
                    check.eq(durations(noBase, [1e9]), "0", "no base: no lockout")
                    check.eq(durations(noFree, [1]), "30000", "no free failures")
                    check.eq(durations(lowCap, [6]), "10000", "a lower cap")
                },
            },
            {
                name: "lockoutDurationMs never decreases as failures grow",
                run: async check => {
                    let prev = 0
                    let drops = ""
                    for (let f = 0; f < 200; f++) {
                        const d = lockoutDurationMs(DEFAULT_POLICY, f)
                        if (d < prev) drops = drops + ` ${f}`
                        prev = d
                    }
                    check.eq(drops, "", "failure counts where the lockout got shorter")
                },
            },
            {
                name: "allows 5 free failures, then locks out for 30 s",
                run: async check => {
                    const rig = ready(check)
                    for (let i = 1; i <= 5; i++) check.eq(tail(kinds(await rig.enter(OTHER)), 1), "sound failure", `failure ${i}`)
                    check.eq(rig.st("lockoutRemainingMs"), "lockoutRemainingMs=0", "no lockout yet")
                    const out = await rig.enter(OTHER)
                    check.eq(tail(kinds(out), 4), `saveCounter 6 false, hash ${OTHER}, sound lockout, alarm WrongCodeEntryLimit`, "sixth failure")
                    check.eq(logs(out).join(" ").indexOf("failures 6") >= 0 ? "logged" : logs(out).join(" "), "logged", "the count is logged")
                    check.eq(rig.st("failures lockoutRemainingMs"), "failures=6 lockoutRemainingMs=29900", "locked out")
                },
            },
            {
                name: "refuses every key during the lockout, even the right code; '#' reports LockedOut, unaudited",
                run: async check => {
                    const rig = ready(check)
                    await failN(rig, 6)
                    const out = await rig.enter(CODE)
                    check.eq(list(kinds(out)), "sound lockout, sound lockout, sound lockout, sound lockout, sound lockout, lockedOut", "keys refused")
                    check.eq(rig.st("entryLength locked failures busy"), "entryLength=0 locked=true failures=6 busy=false", "status")
                    let hashed = 0
                    for (const e of rig.history) if (e.type === "hash" && e.code === CODE) hashed++
                    check.eq(str(hashed), "0", "the right code was never hashed")
                },
            },
            {
                name: "marks the lockout served when it ends, on tick",
                run: async check => {
                    const rig = ready(check)
                    await failN(rig, 6)
                    rig.advance(rig.state.lockoutUntil - 1 - rig.now)
                    check.eq(list(kinds(rig.tick())), "", "1 ms before the end")
                    rig.advance(1)
                    check.eq(list(kinds(rig.tick())), "saveCounter 6 true", "at the end")
                    check.eq(rig.st("lockoutRemainingMs"), "lockoutRemainingMs=0", "over")
                    check.eq(tail(kinds(await rig.enter(CODE)), 3), "latch unlocked, saveCounter 0 false, sound success", "the right code opens")
                    check.eq(rig.st("failures"), "failures=0", "counter cleared")
                },
            },
            {
                name: "ends the lockout before handling a key that comes before the tick",
                run: async check => {
                    const rig = ready(check)
                    await failN(rig, 6)
                    rig.advance(31000)
                    check.eq(list(kinds(await rig.press("7"))), "saveCounter 6 true, sound key", "served, then the key")
                },
            },
            {
                name: "escalates: 30 s, 60 s, 120 s, 240 s",
                run: async check => {
                    const rig = ready(check)
                    await failN(rig, 5)
                    for (const expected of [30000, 60000, 120000, 240000]) {
                        await rig.enter(OTHER)
                        // the lockout started at the digest, answered at the '#' keyDown 100 ms ago
                        check.eq(rig.st("lockoutRemainingMs"), `lockoutRemainingMs=${expected - 100}`, `lockout of ${expected} ms`)
                        const served = await rig.wait(expected)
                        check.eq(list(kinds(served)), `saveCounter ${rig.state.failures} true`, "served")
                    }
                    check.eq(rig.st("failures"), "failures=9", "nine failures")
                },
            },
            {
                name: "a right code after a lockout resets the schedule",
                run: async check => {
                    const rig = ready(check)
                    await failN(rig, 7)
                    await rig.wait(60000)
                    await rig.enter(CODE)
                    check.eq(rig.st("failures"), "failures=0", "reset")
                    await failN(rig, 5)
                    check.eq(rig.st("lockoutRemainingMs"), "lockoutRemainingMs=0", "five free failures again")
                    await rig.enter(OTHER)
                    check.eq(rig.st("lockoutRemainingMs"), "lockoutRemainingMs=29900", "30 s again")
                },
            },
            {
                name: "a power cut during a check still costs the attempt",
                run: async check => {
                    const rig = ready(check)
                    await failN(rig, 5)
                    rig.autoDigest = false
                    await rig.enter(CODE) // right code, but power fails before the digest comes back
                    let saved = ""
                    for (const e of rig.history) if (e.type === "saveCounter") saved = show(e)
                    check.eq(saved, "saveCounter 6 false", "the attempt was on flash first")
                    rig.autoDigest = true
                    rig.advance(3600000)
                    rig.bootCodes([rig.hmac(CODE)], 6, false)
                    check.eq(rig.st("lockoutRemainingMs"), "lockoutRemainingMs=30000", "locked out after the reboot")
                    check.eq(kinds(await rig.enter(CODE))[0], "sound lockout", "the right code is refused")
                },
            },
            {
                name: "a reboot during a lockout starts it again in full; after it is served it does not",
                run: async check => {
                    const rig = ready(check)
                    await failN(rig, 6)
                    await rig.wait(20000)
                    rig.advance(1000000) // powered off
                    rig.bootCodes([rig.hmac(CODE)], 6, false)
                    check.eq(rig.st("lockoutRemainingMs"), "lockoutRemainingMs=30000", "in full")
                    check.eq(list(kinds(await rig.wait(30000))), "saveCounter 6 true", "served")
                    rig.bootCodes([rig.hmac(CODE)], 6, true)
                    check.eq(rig.st("lockoutRemainingMs"), "lockoutRemainingMs=0", "not again")
                    await rig.enter(OTHER)
                    check.eq(rig.st("failures lockoutRemainingMs"), "failures=7 lockoutRemainingMs=59900", "the next one doubles")
                },
            },
            {
                name: "caps at 7 days",
                run: async check => {
                    const rig = new Rig(check)
                    rig.bootCodes([rig.hmac(CODE)], 40, true)
                    await rig.enter(OTHER)
                    check.eq(rig.st("lockoutRemainingMs"), "lockoutRemainingMs=604799900", "seven days")
                },
            },
            {
                name: "counts invalid-length entries toward the lockout",
                run: async check => {
                    const rig = ready(check)
                    await failN(rig, 5)
                    check.eq(list(kinds(await rig.enter("12"))), "sound key, sound key, saveCounter 6 false, sound lockout, alarm WrongCodeEntryLimit", "too short")
                    check.eq(rig.status().lockoutRemainingMs > 0 ? "locked out" : "not", "locked out", "lockout")
                },
            },
        ],
    }
}

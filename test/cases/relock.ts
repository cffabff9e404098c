/** Locking again after an unlock: the auto-relock timer, and holding '#' to lock at once. */
import { DEFAULT_POLICY, Policy } from "../../src/core/index"
import { Suite } from "./check"
import { has, list } from "./compare"
import { CODE, kinds, ready, shown } from "./rig"

export function relockSuite(): Suite {
    return {
        name: "relocking",
        cases: [
            {
                name: "relocks automatically after 30 s",
                run: async check => {
                    const rig = ready(check)
                    await rig.enter(CODE)
                    const openedAt = rig.now - 100 // the '#' keyDown
                    rig.advance(openedAt + 29999 - rig.now)
                    check.eq(list(shown(rig.tick())), "", "29,999 ms after")
                    rig.advance(1)
                    check.eq(list(kinds(rig.tick())), "latch locked, sound locked", "30 s after")
                    check.eq(rig.st("locked"), "locked=true", "locked")
                    check.eq(list(shown(await rig.wait(60000))), "", "once")
                },
            },
            {
                name: "never relocks by itself when auto-relock is off",
                run: async check => {
                    const off: Policy = { ...DEFAULT_POLICY, autoRelockMs: 0 }
                    const rig = ready(check, off)
                    await rig.enter(CODE)
                    check.eq(list(shown(await rig.wait(600000))), "", "ten minutes")
                    check.eq(rig.st("locked"), "locked=false", "open")
                },
            },
            {
                name: "a right code while open restarts the relock timer",
                run: async check => {
                    const rig = ready(check)
                    await rig.enter(CODE)
                    await rig.wait(20000)
                    check.eq(has(kinds(await rig.enter(CODE)), "latch unlocked"), "yes", "opens again")
                    check.eq(list(kinds(await rig.wait(25000))), "", "25 s later")
                    check.eq(list(kinds(await rig.wait(5000))), "latch locked, sound locked", "30 s later")
                },
            },
            {
                name: "holding '#' for 1 s while open locks at once (seen on tick)",
                run: async check => {
                    const rig = ready(check)
                    await rig.enter(CODE)
                    await rig.wait(1000)
                    check.eq(list(shown(rig.send({ type: "keyDown", key: "#" }))), "", "'#' down")
                    check.eq(list(shown(await rig.wait(900))), "", "held 900 ms")
                    check.eq(list(kinds(await rig.wait(100))), "latch locked, sound locked", "held 1 s")
                    check.eq(list(shown(rig.send({ type: "keyUp", key: "#" }))), "", "'#' up")
                    check.eq(list(shown(await rig.wait(60000))), "", "nothing more")
                },
            },
            {
                name: "holding '#' is also seen on its release",
                run: async check => {
                    const rig = ready(check)
                    await rig.enter(CODE)
                    rig.send({ type: "keyDown", key: "#" })
                    rig.advance(1500)
                    check.eq(list(kinds(rig.send({ type: "keyUp", key: "#" }))), "latch locked, sound locked", "released after 1.5 s")
                },
            },
            {
                name: "a short '#' does nothing",
                run: async check => {
                    const rig = ready(check)
                    await rig.enter(CODE)
                    rig.send({ type: "keyDown", key: "#" })
                    rig.advance(999)
                    check.eq(list(shown(rig.send({ type: "keyUp", key: "#" }))), "", "released after 999 ms")
                    check.eq(list(shown(await rig.wait(2000))), "", "after")
                    check.eq(rig.st("locked"), "locked=false", "open")
                },
            },
            {
                name: "pressing a digit while holding '#' cancels the long press",
                run: async check => {
                    const rig = ready(check)
                    await rig.enter(CODE)
                    rig.send({ type: "keyDown", key: "#" })
                    rig.advance(100)
                    await rig.press("5")
                    check.eq(list(kinds(await rig.wait(2000))), "", "held on")
                    check.eq(rig.st("locked"), "locked=false", "open")
                },
            },
            {
                name: "holding '#' with digits typed submits instead",
                run: async check => {
                    const rig = ready(check)
                    await rig.enter(CODE)
                    await rig.press("58")
                    check.eq(list(kinds(rig.send({ type: "keyDown", key: "#" }))), "saveCounter 1 false, sound failure", "submitted")
                    check.eq(list(kinds(await rig.wait(2000))), "", "held on")
                    check.eq(rig.st("locked"), "locked=false", "open")
                },
            },
        ],
    }
}

/**
 * The audit log in flash, on the real firmware in the VM: every entry carries a hash of the one
 * before it; the firmware checks the chain at every power-on and says when an entry was altered
 * in the saved flash. Entries record time (once the clock is set), source, slot and result,
 * never a code; non-urgent entries are batched, and keys alone write nothing.
 */
import { describe, expect, it } from "vitest"
import type { SimulatedBoard } from "../../sim/board"
import { readFstor } from "../../sim/fstor"
import { attempt, itNeeds, logSince, MASTER, savedAudit, setUpBoard, sleep } from "./helpers"

/** Waits for `n` Unlock entries on flash: an unlock's entry is written just after its answer, and a VM process may be slower than the test. */
async function unlocksOnFlash(b: SimulatedBoard, n: number) {
    await b.waitUntil(() => savedAudit(b).filter(e => e.kind === "Unlock").length === n, `${n} unlock entries on flash`, 5000)
}

describe("audit log", () => {
    itNeeds("flashImage")("records who, what, how and when (once known), never a code; the chain checks out", async () => {
        const b = await setUpBoard()
        expect(await attempt(b, "8402")).toBe("failure")
        expect(await attempt(b, MASTER)).toBe("success")
        await b.setClock("2025-02-28 12:30")
        expect(await attempt(b, MASTER)).toBe("success")
        await unlocksOnFlash(b, 2)
        const mark = b.logs.length
        await b.restart()
        await logSince(b, /audit: chain intact, \d+ entries \(0\.\.\d+\)/, mark)
        const log = savedAudit(b)
        const kinds = log.map(e => e.kind)
        expect(kinds.slice(0, 3)).toEqual(["PowerOn", "MasterChanged", "RecoveryIssued"])
        expect(kinds).toContain("InvalidCredential")
        const unlocks = log.filter(e => e.kind === "Unlock")
        expect(unlocks.length).toBe(2)
        expect(unlocks.every(e => e.slot === 1 && e.source === 3 /* Keypad */)).toBe(true)
        // time: unknown (0) before the clock was set, then wall-clock seconds
        expect(unlocks[0].time).toBe(0)
        const t = Date.UTC(2025, 1, 28, 12, 30) / 1000
        expect(unlocks[1].time).toBeGreaterThanOrEqual(t)
        expect(unlocks[1].time).toBeLessThan(t + 120)
        expect(log.map(e => e.seq)).toEqual(log.map((_, i) => i))
        // no code anywhere in the settings store
        const store = readFstor(b.flash.image)
        for (const v of store.values.values()) {
            if (v.key.startsWith("*")) continue
            const text = Buffer.from(b.flash.image.slice(v.offset, v.offset + v.size)).toString("latin1")
            for (const code of [MASTER, "8402"]) expect(text.includes(code), v.key).toBe(false)
        }
    })

    itNeeds("flashImage")("an entry altered in the saved flash breaks the chain, and the firmware says where", async () => {
        const b = await setUpBoard()
        for (let i = 0; i < 3; i++) expect(await attempt(b, MASTER)).toBe("success")
        await unlocksOnFlash(b, 3)
        await b.restart()
        const n = savedAudit(b).length
        expect(n).toBeGreaterThanOrEqual(6)
        b.powerCut()
        // give entry 3 another user slot, right in the flash chip
        const seg = readFstor(b.flash.image).values.get("$lk.a0")!
        const at = seg.offset + 4 + 3 * 8 + 5
        b.flash.image[at] = b.flash.image[at] ^ 0x07
        const mark = b.logs.length
        await b.powerOn()
        await logSince(b, /audit: chain BROKEN at entry 4 \(4 entries intact before it\)/, mark)
        // the lock still works, and keeps reporting the break
        expect(await attempt(b, MASTER)).toBe("success")
        const again = b.logs.length
        await b.restart()
        await logSince(b, /audit: chain BROKEN at entry 4/, again)
    })

    itNeeds("flashImage")("a removed entry breaks the chain too", async () => {
        const b = await setUpBoard()
        for (let i = 0; i < 3; i++) expect(await attempt(b, MASTER)).toBe("success")
        await unlocksOnFlash(b, 3)
        await b.restart()
        b.powerCut()
        // drop entry 2: shift the later ones down by one
        const seg = readFstor(b.flash.image).values.get("$lk.a0")!
        const img = b.flash.image
        const first = seg.offset + 4
        img.copyWithin(first + 2 * 8, first + 3 * 8, first + 24 * 8)
        img.fill(0, first + 23 * 8, first + 24 * 8)
        const mark = b.logs.length
        await b.powerOn()
        await logSince(b, /audit: chain BROKEN at entry 2/, mark)
    })

    itNeeds("flashImage")("batches: keys alone write nothing; wrong codes write the counter at once, the log later", async () => {
        const b = await setUpBoard()
        await sleep(6000) // let any pending entry reach flash
        let saves = b.flash.saves
        // a key storm: 150 keys, no '#'
        const keys = "1234567890*"
        for (let i = 0; i < 150; i++) await b.press(keys[(i * 7) % keys.length], 5)
        await sleep(300)
        expect(b.flash.saves).toBe(saves)
        await b.press("*")
        await sleep(200)
        // three wrong codes: three counter writes, the audit entries wait
        saves = b.flash.saves
        for (let i = 0; i < 3; i++) expect(await attempt(b, "8402")).toBe("failure")
        await sleep(200)
        expect(b.flash.saves - saves).toBe(3)
        // ... and reach flash in one write once the lock has been idle a few seconds
        await sleep(6000)
        expect(b.flash.saves - saves).toBe(4)
        expect(savedAudit(b).filter(e => e.kind === "InvalidCredential").length).toBe(3)
    })
})

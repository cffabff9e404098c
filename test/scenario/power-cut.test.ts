/**
 * A power cut in the middle of a settings write, on the real firmware and the real settings
 * store (DeviceScript's, in the VM): one scenario per outcome a torn write can have at the next
 * boot. The flash image is torn host-side the way a cut leaves it (sim/fstor.ts reads its
 * layout); then the lock must boot to a working fail-secure state (no boot loop: locked, the
 * keypad works for the codes it still holds, or setup mode behind the inside button), and a
 * loss must be reported rather than look like a new lock.
 *
 * - a value written, its entry not: the store formats itself at the next boot (the program goes
 *   with it: the owner deploys it again). With the first header copy live, the second still
 *   holds an older state; with the second copy live, the store formats again at every boot
 *   until it collects its garbage;
 * - a stale copy mounted: the first copy formatted, the board powered on again without a deploy;
 * - a corrupted size field: reading that key makes the settings service abort the VM.
 */
import { describe, expect } from "vitest"
import { parseCli, runCommand, type CliOptions } from "../../companion/cli"
import { LatchkeyClient } from "../../host/lock-client"
import type { SimulatedBoard } from "../../sim/board"
import { InProcessDevice } from "../../sim/devices/device"
import { fstorEntries, readFstor, writeFstorValue } from "../../sim/fstor"
import { attempt, enrolled, itNeeds, MASTER, retry, savedAudit, setUpMaster, sleep } from "./helpers"

type Boot = "ready" | "crashed" | "formatted" | "silent"

/** Powers on once; resolves with how that boot ended (a board that did not get ready is cut). */
async function bootOnce(b: SimulatedBoard): Promise<Boot> {
    const mark = b.logs.length
    const ready = b.powerOn(20000).then(
        () => "ready" as Boot,
        () => "silent" as Boot,
    )
    const crashed = b.waitForLog(/Aborted\(|PANIC/, 20000, mark).then(
        () => "crashed" as Boot,
        () => "silent" as Boot,
    )
    const formatted = b.waitForLog(/fstor: formatting now/, 20000, mark).then(
        // no program left (unless one was deployed at this power-on): nothing more will come
        () => b.waitForLog(/lock: ready/, 10000, mark).then(
            () => "ready" as Boot,
            () => "formatted" as Boot,
        ),
        () => "silent" as Boot,
    )
    const r = await Promise.race([ready, crashed, formatted])
    if (r !== "ready") b.powerCut()
    return r
}

/** Cuts the power and powers on until the lock is ready (at most `boots` times); the boots seen. */
async function bootUntilReady(b: SimulatedBoard, boots: number): Promise<Boot[]> {
    const seen: Boot[] = []
    b.powerCut()
    while (seen.length < boots) {
        const r = await bootOnce(b)
        seen.push(r)
        if (r === "ready") break
        await sleep(50)
    }
    return seen
}

/** Which header copy of the store is live (0 first, 1 second). */
const liveCopy = (b: SimulatedBoard) => fstorEntries(b.flash.image).copy

/**
 * Makes header copy `copy` the live one with the other holding the state before it: fills the
 * live copy almost full host-side (a key written then deleted: nothing the lock reads), then
 * wrong codes make the firmware write until the store collects into the other copy.
 */
async function makeLive(b: SimulatedBoard, copy: number) {
    for (let round = 0; round < 3 && liveCopy(b) !== copy; round++) {
        b.powerCut()
        const img = b.flash.image
        while (readFstor(img).freeBytes > 260) writeFstorValue(img, "junk", new Uint8Array(200).fill(round + 1))
        writeFstorValue(img, "junk", new Uint8Array(0))
        await b.powerOn()
        const before = readFstor(b.flash.image).generation
        for (let i = 0; i < 4 && readFstor(b.flash.image).generation === before; i++) await attempt(b, "2580")
        await attempt(b, MASTER) // the counter back to 0
        await sleep(300)
    }
    expect(liveCopy(b)).toBe(copy)
}

/**
 * Leaves the store as it is before its first garbage collection: the first header copy live
 * (generation 1) holding what the live copy holds, the second copy erased (no older state).
 */
function onlyFirstCopy(b: SimulatedBoard) {
    b.powerCut()
    const img = b.flash.image
    const { areaBytes } = readFstor(img)
    const { copy, entries } = fstorEntries(img)
    const dv = new DataView(img.buffer, img.byteOffset)
    if (copy === 1) {
        img.copyWithin(0, areaBytes, 2 * areaBytes)
        // values of small settings lie inside the area: their offsets move with it
        for (const e of entries) if (!e.key.startsWith("*")) dv.setUint32(e.entryAt - areaBytes + 16, e.offset - areaBytes, true)
    }
    dv.setUint32(8, 1, true)
    img.fill(0xff, areaBytes, 2 * areaBytes)
}

/**
 * Tears the newest settings write in the image: its value reached the flash, its entry did not
 * (the entry reads erased). The store finds bytes where it expects free space and formats itself.
 */
function tearNewestEntry(b: SimulatedBoard) {
    b.powerCut()
    const { entries } = fstorEntries(b.flash.image)
    const last = entries[entries.length - 1]
    b.flash.image.fill(0xff, last.entryAt, last.entryAt + 24)
    return last.key
}

function statusText(client: LatchkeyClient, keys: string) {
    return retry(() => runCommand(parseCli(["--keys", keys, "status"]) as CliOptions, client).then(r => r.text))
}

/** Keys typed in setup mode without the program button: refused, the latch stays locked. */
async function setupNeedsButton(b: SimulatedBoard) {
    const moves = b.latchMoves.length
    expect(await attempt(b, MASTER)).toBe("failure")
    expect(await attempt(b, "8642")).toBe("failure")
    expect(b.openedSince(moves)).toBe(false)
    expect(b.isLocked()).toBe(true)
    await setUpMaster(b, "8642")
    expect(await attempt(b, "8642")).toBe("success")
}

describe("power cut in the middle of a settings write", () => {
    itNeeds("redeploy")("store formats itself with the first copy live and no older copy: setup behind the button, the loss reported", async () => {
        const { b, client, store } = await enrolled()
        onlyFirstCopy(b)
        tearNewestEntry(b)
        expect(await bootOnce(b)).toBe("formatted")
        // the owner deploys the program again
        ;(b.device as InProcessDevice).deployAtNextPowerOn()
        expect(await bootUntilReady(b, 1)).toEqual(["ready"])
        expect(b.isLocked()).toBe(true)
        const s = await retry(() => client.status())
        expect(s.provisioned).toBe(false)
        expect(await statusText(client, store.path)).toMatch(/STORE LOST OR RESET: this computer holds companion key \d+.*with a backup: press the program button, then `latchkey restore FILE`/)
        await setupNeedsButton(b)
        // the next boot mounts what was written since, not the older copy
        expect(await bootUntilReady(b, 2)).toEqual(["ready"])
        expect(await attempt(b, "8642")).toBe("success")
        expect(await attempt(b, MASTER)).toBe("failure")
    }, 180_000)

    itNeeds("redeploy")("store formats itself with the second copy live: it does not format again at every boot", async () => {
        const { b, client, store } = await enrolled()
        await makeLive(b, 1)
        tearNewestEntry(b)
        expect(await bootOnce(b)).toBe("formatted")
        ;(b.device as InProcessDevice).deployAtNextPowerOn()
        expect(await bootUntilReady(b, 1)).toEqual(["ready"])
        // the program and the store survive the next power cycle
        expect(await bootUntilReady(b, 2)).toEqual(["ready"])
        expect(await statusText(client, store.path)).toMatch(/STORE LOST OR RESET/)
        await setupNeedsButton(b)
        expect(await bootUntilReady(b, 2)).toEqual(["ready"])
        expect(await attempt(b, "8642")).toBe("success")
    }, 180_000)

    itNeeds("flashImage")("stale copy mounted (the first copy formatted, the second older one live): the lock boots locked and the codes it holds open", async () => {
        const { b } = await enrolled()
        await makeLive(b, 0)
        tearNewestEntry(b)
        // formatted: no program this boot; the next power-on (no deploy) mounts the older copy
        expect(await bootOnce(b)).toBe("formatted")
        const boots = await bootUntilReady(b, 3)
        expect(boots[boots.length - 1]).toBe("ready")
        expect(boots.filter(x => x === "crashed")).toEqual([])
        expect(b.isLocked()).toBe(true)
        expect(await attempt(b, "2580")).toBe("failure")
        expect(await attempt(b, MASTER)).toBe("success")
        expect(await bootUntilReady(b, 1)).toEqual(["ready"])
    }, 180_000)

    itNeeds("flashImage")("corrupted size field: the key is deleted after a few crashed boots, never a boot loop, and the loss is reported", async () => {
        const { b, client, store } = await enrolled()
        b.powerCut()
        // the size of the newest copy of the user chunk, torn: the settings service aborts reading it
        const { entries } = fstorEntries(b.flash.image)
        const e = entries.filter(x => x.key === "$lk.u0").pop()!
        b.flash.image[e.entryAt + 23] = 0x7f
        const events = client.events.length
        const boots = await bootUntilReady(b, 5)
        expect(boots[boots.length - 1]).toBe("ready")
        expect(boots.length).toBeLessThanOrEqual(4)
        await b.waitUntil(() => client.alarmSeen("StoreLost", events), "the StoreLost alarm")
        // and it stays booting
        expect(await bootUntilReady(b, 1)).toEqual(["ready"])
        expect(b.isLocked()).toBe(true)
        const s = await retry(() => client.status())
        expect(s.storeLost).toBe(true)
        expect(await statusText(client, store.path)).toMatch(/STORE LOST: the lock found .*latchkey restore FILE/)
        const audit = savedAudit(b)
        expect(audit.some(x => x.kind === "LockFactoryReset" && x.source === 4)).toBe(true)
        // the master code was in that chunk: setup mode, behind the button
        await setupNeedsButton(b)
        expect((await retry(() => client.status())).storeLost).toBe(false)
    }, 180_000)
})

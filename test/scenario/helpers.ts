/**
 * Shared set-up for scenario tests: a simulated board running real firmware bytecode.
 *
 * The same scenario files run wherever the firmware runs, chosen by the HIL environment variable:
 *   (unset)      the VM in this process (npm test)
 *   HIL=vm       a VM process per board on the devtools hub (sim/devices/vm-process.ts, `devs run --tcp` with 256 KB flash)
 *   HIL=serial   the flashed board behind `devs devtools --serial` (npm run test:hil starts it)
 *   HIL=tcp      whatever lock is already on a running hub (you started the hub yourself)
 * `npm run test:hil` starts the hub and runs these files one at a time (its ports are fixed).
 */
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { enrol, KeyStore, LockRefusal } from "../../companion/protocol"
import { LatchkeyClient, type LockServiceEvent } from "../../host/lock-client"
import { afterEach, beforeAll, expect, it } from "vitest"
import { loadProfile } from "../../host/profile-io"
import { join } from "node:path"
import { ROOT } from "../../host/paths"
import { SimulatedBoard, sleep } from "../../sim/board"
import { DeviceCapabilities, InProcessDevice, LockDevice, VmProcessDevice } from "../../sim/devices/device"
import { HubBoardDevice } from "../../sim/devices/board-device"
import { HUB_HOST, HUB_PORTS, portAnswers } from "../../host/devtools"
import type { Profile } from "../../src/config/types"
import {
    AUDIT_SEGMENTS,
    auditEntryName,
    entryKind,
    entrySlot,
    entrySource,
    entryTime,
    segmentCount,
    segmentFirstSeq,
} from "../../src/core/index"
import { fstorValue } from "../../sim/fstor"

export { sleep }

/** devs.json with the fast test timings laid over it (what build/firmware-fast.devs was built from). */
export const FAST_PROFILE: Profile = loadProfile(join(ROOT, "test", "fixtures", "fast-timing.json"))
/** devs.json as it ships (what build/firmware.devs was built from). */
export const SHIPPING_PROFILE: Profile = loadProfile()

/** A master code that passes the weak-code rules. */
export const MASTER = "4719"

/** Where the boards of this run live: "" (in-process), "vm", "serial" or "tcp". */
export const HIL = (process.env.HIL ?? "").toLowerCase()
if (!["", "vm", "serial", "tcp"].includes(HIL)) throw new Error(`HIL=${HIL}: expected vm, serial or tcp (or unset for the in-process VM)`)

function newDevice(): LockDevice {
    if (HIL === "vm") return new VmProcessDevice()
    if (HIL === "serial" || HIL === "tcp") return new HubBoardDevice()
    return new InProcessDevice()
}

/** What this run's devices can do (a scenario that needs more is skipped, and says so). */
export const CAPABILITIES: DeviceCapabilities = newDeviceCapabilities()
function newDeviceCapabilities(): DeviceCapabilities {
    if (HIL === "vm") return VmProcessDevice.CAPABILITIES
    if (HIL) return HubBoardDevice.CAPABILITIES
    return InProcessDevice.CAPABILITIES
}

/** The device of this run, in words for a skipped test's title. */
const DEVICE_WORDS = HIL === "vm" ? "a VM process" : HIL ? "a board" : "the in-process VM"

/** The title a scenario gets when it is skipped for lack of `need`: the output says why. */
export function skippedTitle(name: string, need: keyof DeviceCapabilities, device = DEVICE_WORDS): string {
    return `${name} [skipped on ${device}: needs ${need}]`
}

type Scenario = (name: string, fn: () => Promise<void>, timeout?: number) => void

/**
 * `it`, or `it.skip` when this run's device lacks `need` (e.g. an exact power cut on a board);
 * a skipped scenario's title then ends with why, e.g. " [skipped on a board: needs flashImage]",
 * which vitest prints beside the skip mark.
 */
export function itNeeds(need: keyof DeviceCapabilities): Scenario {
    if (CAPABILITIES[need]) return (name, fn, timeout) => it(name, fn, timeout)
    return (name, fn, timeout) => it.skip(skippedTitle(name, need), fn, timeout)
}

/** Generous waits through the hub: a separate process or a serial link, on a busy machine. */
const POWER_ON_MS = HIL ? 45000 : 15000

if (HIL)
    beforeAll(async () => {
        if (!(await portAnswers(HUB_PORTS.tcp)))
            throw new Error(
                `HIL=${HIL} needs the DeviceScript devtools hub on ${HUB_HOST}:${HUB_PORTS.tcp}; ` +
                    "run the suite with `npm run test:hil` (it starts the hub), or start `devs devtools` yourself",
            )
    })

const boards: SimulatedBoard[] = []
afterEach(async () => {
    for (const b of boards.splice(0)) await b.dispose()
})

/**
 * Powers on a fresh board (empty flash) running the fast firmware, the shipping one, or the
 * shipping one with the fast timings whose parts are only the simulator's own (firmware-guarded:
 * only on a device with `trustedParts`, the in-process VM, where those parts live on a fixed device id).
 *
 * Through the hub, the test's earlier boards are disposed first: every board's parts are on the
 * one hub, and a new lock's roles bind to the first keypad, buzzer and button they find there,
 * which may be an earlier board's (seen: a program-button press that never reached the new lock
 * in the reset test's loop). In-process, each board is alone on its own bus.
 */
export async function freshBoard(firmware: "firmware-fast" | "firmware" | "firmware-guarded" = "firmware-fast"): Promise<SimulatedBoard> {
    if (HIL) for (const old of boards.splice(0)) await old.dispose()
    const profile = firmware === "firmware" ? SHIPPING_PROFILE : FAST_PROFILE
    const b = new SimulatedBoard({ profile, firmware, echo: !!process.env.LATCHKEY_ECHO, device: newDevice() })
    boards.push(b)
    await b.powerOn(POWER_ON_MS)
    return b
}

/** Runs the setup ritual (SimulatedBoard.setUpMaster); resolves when the code is saved. */
export async function setUpMaster(b: SimulatedBoard, code = MASTER) {
    await b.setUpMaster(code, 3000)
}

const ANSWERS = ["success", "failure", "lockout", "step"]

/** Types `code#` and resolves with the sound that answered it ("success", "failure", "lockout", "step"). */
export async function attempt(b: SimulatedBoard, code: string): Promise<string> {
    const from = b.heard.length
    await b.type(code + "#")
    let answer: string | undefined
    await b.waitUntil(() => {
        answer = b.heard.slice(from).find(h => ANSWERS.includes(h.sound))?.sound
        return answer !== undefined
    }, `an answer to ${code.length} digits + #`)
    return answer!
}

/** A board that is set up and locked, on the fast firmware. */
export async function setUpBoard(): Promise<SimulatedBoard> {
    const b = await freshBoard()
    await setUpMaster(b)
    return b
}

/** Types `keys` and resolves with the first answering tune among `sounds` (after typing began). */
export async function answer(b: SimulatedBoard, keys: string, sounds: string[], timeoutMs = 5000): Promise<string> {
    const from = b.heard.length
    await b.type(keys)
    let found: string | undefined
    await b.waitUntil(() => {
        found = b.heard.slice(from).find(h => sounds.includes(h.sound))?.sound
        return found !== undefined
    }, `one of ${sounds.join(", ")} after ${keys.length} keys`, timeoutMs)
    return found!
}

const MENU_ANSWERS = ["menu", "step", "success", "failure", "exit", "lockout", "timeout"]

/** Opens the programming menu with the master code; resolves when the menu tune plays. */
export async function openMenu(b: SimulatedBoard, master = MASTER) {
    const mark = b.logs.length
    expect(await answer(b, master + "*#", MENU_ANSWERS)).toBe("menu")
    await b.waitForLog(/menu: open/, 3000, mark)
}

/** Types one menu value and '#'; resolves with the tune that answered it. */
export async function menuStep(b: SimulatedBoard, value: string): Promise<string> {
    return answer(b, value + "#", MENU_ANSWERS)
}

/**
 * Adds a user through the menu (which must be open): option 1, the Matter user type number,
 * its schedule values, the code twice. Resolves with the slot the lock chose.
 */
export async function addUser(b: SimulatedBoard, type: number, schedule: string[], code: string): Promise<number> {
    const mark = b.logs.length
    expect(await menuStep(b, "1")).toBe("step")
    const line = await b.waitForLog(/menu: add a user in slot (\d+)/, 3000, mark)
    const slot = Number(/slot (\d+)/.exec(line)![1])
    expect(await menuStep(b, String(type))).toBe("step")
    for (const v of schedule) expect(await menuStep(b, v)).toBe("step")
    expect(await menuStep(b, code)).toBe("step")
    expect(await menuStep(b, code)).toBe("success")
    await b.waitForLog(new RegExp(`menu: slot ${slot} saved`), 3000, mark)
    return slot
}

/** Closes the menu with '*' (at its top). */
export async function closeMenu(b: SimulatedBoard) {
    expect(await answer(b, "*", MENU_ANSWERS)).toBe("exit")
}

/**
 * A set-up board with one Unrestricted user of `code`, disabled through the keypad menu (option 3):
 * its right code is refused. Resolves with the board and the user's slot.
 */
export async function boardWithDisabledUser(code: string): Promise<{ b: SimulatedBoard; slot: number }> {
    const b = await setUpBoard()
    await openMenu(b)
    const slot = await addUser(b, 0, [], code)
    expect(await menuStep(b, "3")).toBe("step")
    expect(await menuStep(b, String(slot))).toBe("success")
    await closeMenu(b)
    return { b, slot }
}

/** Waits until the firmware has logged `re` since `from` and returns the matching line. */
export function logSince(b: SimulatedBoard, re: RegExp, from: number, timeoutMs = 3000): Promise<string> {
    return b.waitForLog(re, timeoutMs, from)
}

/** Waits up to 5 s for the first event from the lock's service, since `from` in `c.events`, that `match` picks; `what` names it in the error. */
export async function waitForEvent(c: LatchkeyClient, from: number, match: (e: LockServiceEvent) => boolean, what: string): Promise<LockServiceEvent> {
    const end = Date.now() + 5000
    for (;;) {
        const e = c.events.slice(from).find(match)
        if (e) return e
        if (Date.now() > end) throw new Error(`no ${what} event; got ${JSON.stringify(c.events.slice(from))}`)
        await new Promise(r => setTimeout(r, 20))
    }
}

/** One audit entry as read back from the flash image. */
export interface SavedEntry {
    seq: number
    time: number
    kind: string
    source: number
    slot: number
}

/** The audit entries saved in a board's flash (oldest first), decoded with the core's own layout. */
export function savedAudit(b: SimulatedBoard): SavedEntry[] {
    const segs: Uint8Array[] = []
    for (let i = 0; i < AUDIT_SEGMENTS; i++) {
        const v = fstorValue(b.flash.image, `$lk.a${i}`)
        if (v) segs.push(v)
    }
    segs.sort((x, y) => segmentFirstSeq(x) - segmentFirstSeq(y))
    const out: SavedEntry[] = []
    for (const s of segs)
        for (let i = 0; i < segmentCount(s); i++)
            out.push({
                seq: segmentFirstSeq(s) + i,
                time: entryTime(s, i),
                kind: auditEntryName(entryKind(s, i), entrySlot(s, i)),
                source: entrySource(s, i),
                slot: entrySlot(s, i),
            })
    return out
}

/** What the lock answered a companion request: the status of the LockRefusal `p` rejects with, or "Ok" when it resolves. */
export async function lockRefusal(p: Promise<unknown>): Promise<string> {
    try {
        await p
    } catch (e) {
        if (e instanceof LockRefusal) return e.status
        throw e
    }
    return "Ok"
}

/** Retries `f` up to five more times, a second apart: right after a boot or a restart the lock's service may not answer yet. */
export async function retry<T>(f: () => Promise<T>): Promise<T> {
    for (let i = 0; ; i++) {
        try {
            return await f()
        } catch (e) {
            if (i >= 5) throw e
            await sleep(1000)
        }
    }
}

/** A companion key file of its own, in a fresh temporary folder. */
export function tmpStore(): KeyStore {
    return new KeyStore(join(mkdtempSync(join(tmpdir(), "latchkey-keys-")), "keys.json"))
}

/** A set-up board with one companion enrolled (the program button pressed first). */
export async function enrolled() {
    const b = await setUpBoard()
    const client = new LatchkeyClient(b.bus)
    const store = tmpStore()
    await b.pressProgramButton()
    const rec = await enrol(client, store)
    return { b, client, store, rec }
}

/**
 * The bus, as far as the firmware guards it. Any peer on the Jacdac bus can bind the lock's roles
 * to services of its own through the role manager, and write the lock's settings. On a build
 * whose parts are the board's own (firmware-guarded: the simulator's parts device stands for the
 * board's), a foreign device's button gives neither enrolment presence nor a factory reset, and
 * the binding is audited and raised (ForeignPart); a foreign keypad types nothing. On every build, a foreign write of the device
 * key or the failure counter is noticed after the lock's next change: StoreTampered on the
 * lock's service, a tamper entry in the audit log, and companion commands refused until the
 * program button inside is pressed.
 */
import { randomBytes } from "node:crypto"
import { describe, expect, it } from "vitest"
import { ButtonServer, jdpack, JDServerServiceProvider, MatrixKeypadEvent, MatrixKeypadServer, Packet, RoleManagerCmd, SettingsClient, shortDeviceId, SRV_ROLE_MANAGER, SRV_SETTINGS } from "jacdac-ts"
import { command, enrol, LockRefusal } from "../../companion/protocol"
import { readAudit } from "../../companion/admin"
import { roleNames } from "../../host/board-gen"
import { loadBoardCatalog } from "../../host/boards-io"
import { LatchkeyClient } from "../../host/lock-client"
import { sendEventsOnce, SimulatedBoard } from "../../sim/board"
import { attempt, enrolled, FAST_PROFILE, freshBoard, itNeeds, MASTER, savedAudit, setUpBoard, setUpMaster, sleep, tmpStore } from "./helpers"

/** The stranger's device: another device on the lock's bus. */
const STRANGER_ID = "f00dfeed0badc0de"
/** The guarded build's role names (the board's hints: program[int:0] on esp32_devkit_c). */
const ROLES = roleNames(FAST_PROFILE, loadBoardCatalog(), "simulated")

/** Whether `p` was refused; resolves with the status and the lock's reason ("Ok" when it was not). */
async function refusal(p: Promise<unknown>): Promise<{ status: string; reason: string }> {
    try {
        await p
    } catch (e) {
        if (e instanceof LockRefusal) return { status: e.status, reason: e.reason }
        throw e
    }
    return { status: "Ok", reason: "" }
}

/** A stranger's device on the lock's bus, with a button of its own. */
function strangersButton(b: SimulatedBoard): ButtonServer {
    const button = new ButtonServer("stranger", false)
    b.bus.addServiceProvider(new JDServerServiceProvider("stranger", [button], { deviceId: STRANGER_ID }))
    sendEventsOnce(button)
    return button
}

/**
 * Binds the lock's role `role` to service `index` of device `deviceId` with the lock's role
 * manager, as any bus peer can (the SetRole payload with 7 spare bytes: see HubBoardDevice.bindRole);
 * resolves once the role manager says it did (asked again each second: a busy VM may miss one).
 */
async function rebind(b: SimulatedBoard, role: string, deviceId: string, index: number) {
    const rm = b.bus.services({ serviceClass: SRV_ROLE_MANAGER }).find(s => s.device.deviceId === b.device.deviceId)
    if (!rm) throw new Error("the lock's role manager is not on the bus")
    const payload = jdpack("b[8] u8 s", [Buffer.from(deviceId, "hex"), index, role])
    const padded = new Uint8Array(payload.length + 7)
    padded.set(payload)
    const escaped = role.replace(/[[\]]/g, "\\$&")
    const done = new RegExp(`set role ${escaped} -> ${shortDeviceId(deviceId)}:${index}`)
    const mark = b.logs.length
    for (let i = 0; !b.logs.slice(mark).some(l => done.test(l)); i++) {
        if (i >= 5) throw new Error(`the lock's role manager did not bind ${role} to ${deviceId}:${index}`)
        await rm.sendPacketAsync(Packet.from(RoleManagerCmd.SetRole, padded), true)
        await b.waitForLog(done, 1000, mark).catch(() => undefined)
    }
}

/** Presses (and releases) the stranger's button, held `holdMs`. */
async function press(button: ButtonServer, holdMs = 150) {
    await button.down()
    await sleep(holdMs)
    await button.up()
    await sleep(120)
}

/** The lock's own settings service, as a peer on the bus reaches it. */
function lockSettings(b: SimulatedBoard): SettingsClient {
    const srv = b.bus.services({ serviceClass: SRV_SETTINGS }).find(s => s.device.deviceId === b.device.deviceId)
    if (!srv) throw new Error("the lock's settings service is not on the bus")
    return new SettingsClient(srv)
}

/** A peer's settings SET of `key`; resolves once the store holds it. */
async function foreignSet(b: SimulatedBoard, key: string, value: Uint8Array) {
    const sc = lockSettings(b)
    await sc.setValue(key, value)
    for (let i = 0; !Buffer.from((await sc.getValue(key)) ?? []).equals(Buffer.from(value)); i++) {
        if (i >= 50) throw new Error(`the settings service never held the foreign ${key}`)
        await sleep(100)
    }
}

// the guarded build trusts the one device id the in-process simulator hosts its parts on
describe("a foreign device's button on a build whose parts are the board's own", () => {
    itNeeds("trustedParts")("gives no enrolment presence, and its binding is audited and raised as ForeignPart", async () => {
        const b = await freshBoard("firmware-guarded")
        await setUpMaster(b)
        const client = new LatchkeyClient(b.bus)
        await client.service()
        // the setup's own press is good for one enrolment: spent here
        await enrol(client, tmpStore())
        const from = client.events.length
        const button = strangersButton(b)
        const mark = b.logs.length
        await rebind(b, ROLES.program, STRANGER_ID, button.serviceIndex)
        await press(button)
        expect((await refusal(enrol(client, tmpStore()))).status).toBe("NoPresence")
        await b.waitForLog(/bus guard: the program role is bound to device \w+, not the board's own/, 3000, mark)
        await b.waitUntil(() => client.alarmSeen("ForeignPart", from), "a ForeignPart alarm")
        await b.waitUntil(() => savedAudit(b).some(e => e.kind === "ForeignPart program"), "a ForeignPart entry in the audit log")
    })

    itNeeds("trustedParts")("held past the reset time, does not reset the lock", async () => {
        const b = await freshBoard("firmware-guarded")
        await setUpMaster(b)
        const button = strangersButton(b)
        await rebind(b, ROLES.program, STRANGER_ID, button.serviceIndex)
        const mark = b.logs.length
        await press(button, FAST_PROFILE.timing.resetHoldSeconds * 1000 + 1000)
        expect(await attempt(b, MASTER)).toBe("success")
        expect(b.logs.slice(mark).filter(l => /factory reset|LockFactoryReset/i.test(l))).toEqual([])
    })

    itNeeds("trustedParts")("a foreign keypad types nothing", async () => {
        const b = await freshBoard("firmware-guarded")
        await setUpMaster(b)
        const labels = FAST_PROFILE.keypad.labels
        const keypad = new MatrixKeypadServer(3, 4, labels.split(""))
        b.bus.addServiceProvider(new JDServerServiceProvider("stranger", [keypad], { deviceId: STRANGER_ID }))
        sendEventsOnce(keypad)
        const mark = b.logs.length
        const moves = b.latchMoves.length
        await rebind(b, ROLES.keypad, STRANGER_ID, keypad.serviceIndex)
        for (const key of MASTER + "#") {
            const i = labels.indexOf(key)
            await keypad.down(i as never)
            await keypad.sendEvent(MatrixKeypadEvent.Down, jdpack("u8", [i]))
            await sleep(50)
            await keypad.up(i as never)
            await keypad.sendEvent(MatrixKeypadEvent.Up, jdpack("u8", [i]))
            await sleep(30)
        }
        // the board's own keypad back: its answer comes after anything the stranger's keys caused
        await rebind(b, ROLES.keypad, b.hostId, b.keypad.serviceIndex)
        expect(await attempt(b, "8642")).toBe("failure")
        expect(b.openedSince(moves)).toBe(false)
        await b.waitForLog(/bus guard: the keypad role is bound to device \w+, not the board's own/, 3000, mark)
    })
})

describe("a foreign write of a setting the lock keeps", () => {
    it("of the device key: StoreTampered, audited, companion commands refused until the program button", async () => {
        const { b, client, store } = await enrolled()
        // the lock's own changes never raise it
        expect(await attempt(b, "8642")).toBe("failure")
        expect(await command(client, store, "lock")).toBe("Ok")
        expect(await command(client, store, "unlock")).toBe("Ok")
        await b.waitUntil(() => b.isLocked(), "the auto-relock")
        expect(client.alarmSeen("StoreTampered", 0)).toBe(false)
        const from = client.events.length
        await foreignSet(b, "$lk.key", randomBytes(32))
        // noticed at the lock's next change (here: a wrong code's failure count)
        expect(await attempt(b, "8642")).toBe("failure")
        await b.waitUntil(() => client.alarmSeen("StoreTampered", from), "a StoreTampered alarm")
        expect(await refusal(command(client, store, "unlock"))).toEqual({ status: "Refused", reason: "tamper: press the program button" })
        expect(b.isLocked()).toBe(true)
        const log = await readAudit(client, store)
        expect(log.entries.map(e => e.event)).toContain("StoreTampered")
        await b.pressProgramButton()
        expect(await command(client, store, "unlock")).toBe("Ok")
        await b.waitUntil(() => b.isUnlocked(), "the latch open")
    })

    itNeeds("flashImage")("of the failure counter: StoreTampered, audited", async () => {
        const b = await setUpBoard()
        const client = new LatchkeyClient(b.bus)
        await client.service()
        const from = client.events.length
        // both records: whichever the lock writes next, the other still differs
        await foreignSet(b, "$lk.c0", randomBytes(13))
        await foreignSet(b, "$lk.c1", randomBytes(13))
        expect(await attempt(b, "8642")).toBe("failure")
        await b.waitUntil(() => client.alarmSeen("StoreTampered", from), "a StoreTampered alarm")
        await b.waitUntil(() => savedAudit(b).some(e => e.kind === "StoreTampered"), "a StoreTampered entry in the audit log")
    })
})

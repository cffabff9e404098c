/** The page's pure helpers (web/logic.ts, web/protocol.ts, web/lockservice.ts decoding). */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { TUNES } from "../../src/firmware/tones"
import { ROOT } from "../../host/paths"
import { decodeFields, describeLockEvent, ownRegisters } from "../../web/lockservice"
import {
    formatCountdown,
    keypadKeyOf,
    latchOpenFraction,
    patternOfTone,
    remainingNow,
    SOUND_LABELS,
    servoTravelMs,
    toneOfPlayTone,
} from "../../web/logic"
import { parseClientMessage, parseServerMessage } from "../../web/protocol"

const LABELS = "123456789*0#"

describe("keyboard to keypad", () => {
    it("maps digits, * and # to themselves, Enter to # and Escape to *", () => {
        for (const k of LABELS) expect(keypadKeyOf(k, LABELS)).toBe(k)
        expect(keypadKeyOf("Enter", LABELS)).toBe("#")
        expect(keypadKeyOf("Escape", LABELS)).toBe("*")
    })
    it("ignores everything else", () => {
        for (const k of ["a", "p", " ", "Shift", "F5", "ArrowUp", "+", "10"]) expect(keypadKeyOf(k, LABELS)).toBeUndefined()
    })
    it("follows the profile's labels", () => {
        expect(keypadKeyOf("A", "123A456B789C")).toBe("A")
        expect(keypadKeyOf("#", "123A456B789C")).toBeUndefined()
    })
})

describe("latch drawing", () => {
    it("is 0 at the locked angle and 1 at the unlocked angle, either direction", () => {
        expect(latchOpenFraction(0, 0, 90)).toBe(0)
        expect(latchOpenFraction(90, 0, 90)).toBe(1)
        expect(latchOpenFraction(45, 0, 90)).toBe(0.5)
        expect(latchOpenFraction(180, 180, 90)).toBe(0)
        expect(latchOpenFraction(90, 180, 90)).toBe(1)
    })
    it("clamps angles past either end and survives nonsense", () => {
        expect(latchOpenFraction(-20, 0, 90)).toBe(0)
        expect(latchOpenFraction(120, 0, 90)).toBe(1)
        expect(latchOpenFraction(NaN, 0, 90)).toBe(0)
        expect(latchOpenFraction(30, 40, 40)).toBe(0)
    })
    it("animates at a hobby servo's speed", () => {
        expect(servoTravelMs(0, 90)).toBe(150)
        expect(servoTravelMs(90, 0)).toBe(150)
        expect(servoTravelMs(10, 10)).toBe(0)
    })
})

describe("buzzer tones", () => {
    it("decodes PlayTone as the firmware sends it (period and half-period duty in µs)", () => {
        const t = toneOfPlayTone(Math.round(1e6 / 2400), Math.round(5e5 / 2400), 40)!
        expect(t.hz).toBeCloseTo(2400, -1)
        expect(t.ms).toBe(40)
        expect(t.volume).toBeCloseTo(1, 1)
    })
    it("refuses empty tones", () => {
        expect(toneOfPlayTone(0, 0, 40)).toBeUndefined()
        expect(toneOfPlayTone(400, 200, 0)).toBeUndefined()
    })
    it("names every tune of the firmware by its first note, and no other note", () => {
        for (const [sound, notes] of Object.entries(TUNES)) {
            const period = Math.round(1e6 / notes[0].hz)
            const p = patternOfTone(toneOfPlayTone(period, period / 2, notes[0].ms)!.hz)
            expect(p?.sound).toBe(sound)
            expect(p?.label).toBe(SOUND_LABELS[sound])
            for (const n of notes.slice(1)) expect(patternOfTone(n.hz)).toBeUndefined()
        }
    })
})

describe("countdown", () => {
    it("formats m:ss, h:mm:ss and days, rounding up to whole seconds", () => {
        expect(formatCountdown(0)).toBe("0:00")
        expect(formatCountdown(1)).toBe("0:01")
        expect(formatCountdown(1000)).toBe("0:01")
        expect(formatCountdown(30_000)).toBe("0:30")
        expect(formatCountdown(61_500)).toBe("1:02")
        expect(formatCountdown(3_723_000)).toBe("1:02:03")
        expect(formatCountdown(604_800_000)).toBe("7 d 00:00:00")
        expect(formatCountdown(-5)).toBe("0:00")
    })
    it("counts down from the last reading, never below zero", () => {
        expect(remainingNow(4000, 1000, 1000)).toBe(4000)
        expect(remainingNow(4000, 1000, 2500)).toBe(2500)
        expect(remainingNow(4000, 1000, 9000)).toBe(0)
        expect(remainingNow(4000, 1000, 500)).toBe(4000) // a clock that went back does not add time
    })
})

describe("side-channel messages", () => {
    it("accepts the hand actions", () => {
        expect(parseClientMessage('{"t":"key","key":"5","down":true}')).toEqual({ t: "key", key: "5", down: true })
        expect(parseClientMessage('{"t":"button","down":false}')).toEqual({ t: "button", down: false })
        expect(parseClientMessage('{"t":"door","open":true}')).toEqual({ t: "door", open: true })
        expect(parseClientMessage('{"t":"power","action":"wipe"}')).toEqual({ t: "power", action: "wipe" })
    })
    it.each([
        ["nope", /not JSON/],
        ["42", /not an object/],
        ['{"t":"key","key":"55","down":true}', /one-character/],
        ['{"t":"key","key":"5"}', /down/],
        ['{"t":"button","down":"yes"}', /down/],
        ['{"t":"door"}', /open/],
        ['{"t":"power","action":"explode"}', /cut" or "wipe/],
        ['{"t":"unlock"}', /unknown message type "unlock"/],
    ])("refuses %s", (text, why) => {
        expect(() => parseClientMessage(text)).toThrow(why)
    })
    it("reads the board's messages and ignores garbage", () => {
        expect(parseServerMessage('{"t":"console","line":"> hi"}')).toEqual({ t: "console", line: "> hi" })
        expect(parseServerMessage("{}")).toBeUndefined()
        expect(parseServerMessage("][")).toBeUndefined()
    })
})

describe("the lock's service, decoded by its own spec", () => {
    const specs = JSON.parse(readFileSync(join(ROOT, "build", "services.json"), "utf8")) as jdspec.ServiceSpec[]
    const spec = specs.find(s => s.shortId === "latchkey")!
    const packet = (name: string) => spec.packets.find(p => p.name === name)!

    it("reads only the service's own registers", () => {
        expect(ownRegisters(spec).map(r => r.name)).toEqual(["lock_state", "operating_mode", "failure_count", "lockout_remaining", "provisioned", "store_lost"])
    })
    it("names enum values, booleans and single-field registers", () => {
        expect(decodeFields(spec, packet("lock_state"), [1])).toEqual({ lock_state: "Locked" })
        expect(decodeFields(spec, packet("operating_mode"), [0])).toEqual({ operating_mode: "Normal" })
        expect(decodeFields(spec, packet("provisioned"), [0])).toEqual({ provisioned: false })
        expect(decodeFields(spec, packet("lockout_remaining"), [4000])).toEqual({ lockout_remaining: 4000 })
        expect(decodeFields(spec, packet("lock_state"), undefined)).toEqual({})
        expect(decodeFields(spec, packet("lock_state"), [77])).toEqual({ lock_state: 77 })
    })
    it("writes one readable line per event", () => {
        const ev = (name: string, values: number[]) => ({ name, fields: decodeFields(spec, packet(name), values) })
        expect(describeLockEvent(ev("lock_operation", [1, 3, 0]))).toBe("Unlock by Keypad (user 0)")
        expect(describeLockEvent(ev("lock_operation", [0, 4, 0xffff]))).toBe("Lock by Auto")
        expect(describeLockEvent(ev("lock_operation_error", [1, 3, 1, 0, 3]))).toBe("Unlock refused: InvalidCredential (Keypad), failures 3")
        expect(describeLockEvent(ev("door_lock_alarm", [4]))).toBe("alarm: WrongCodeEntryLimit")
        expect(describeLockEvent(ev("door_lock_alarm", [128]))).toBe("alarm: StoreLost")
        expect(describeLockEvent({ name: "something_new", fields: { level: 2 } })).toBe("something new: level 2")
    })
})

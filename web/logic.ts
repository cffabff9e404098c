/**
 * The page's small pure helpers: keyboard mapping, latch drawing geometry, tone decoding,
 * countdown formatting. None of it knows anything about codes or lockouts: the lock's state
 * comes from its Jacdac service, the latch from the servo, the sounds from the buzzer.
 * No DOM here (unit-tested in Node).
 */
import { soundOfTone } from "../src/firmware/tones"
import type { NetStatus } from "./protocol"

/** The keypad key that a keyboard key stands for (digits, * and #; Enter = #, Escape = *). */
export function keypadKeyOf(eventKey: string, labels: string): string | undefined {
    let k = eventKey
    if (k === "Enter") k = "#"
    else if (k === "Escape") k = "*"
    return k.length === 1 && labels.includes(k) ? k : undefined
}

/** How far the latch is open, 0 (at the locked angle) to 1 (at the unlocked angle), clamped. */
export function latchOpenFraction(angle: number, lockedAngle: number, unlockedAngle: number): number {
    const span = unlockedAngle - lockedAngle
    if (span === 0 || !Number.isFinite(angle)) return 0
    return Math.min(1, Math.max(0, (angle - lockedAngle) / span))
}

/** A hobby servo's speed without load (SG90-class: 0.1 s per 60 degrees), for the animation. */
export const SERVO_MS_PER_DEGREE = 100 / 60

/** How long the servo takes to swing from one angle to another. */
export function servoTravelMs(from: number, to: number): number {
    return Math.round(Math.abs(to - from) * SERVO_MS_PER_DEGREE)
}

/** One buzzer tone as the Jacdac buzzer's PlayTone command carries it (period and duty in µs). */
export interface Tone {
    hz: number
    ms: number
    /** 0..1 (duty cycle relative to a half-period square wave). */
    volume: number
}

export function toneOfPlayTone(periodUs: number, dutyUs: number, durationMs: number): Tone | undefined {
    if (!(periodUs > 0) || !(durationMs > 0)) return undefined
    const hz = 1e6 / periodUs
    const volume = Math.min(1, Math.max(0, (2 * dutyUs) / periodUs))
    return { hz, ms: durationMs, volume }
}

/** What a buzzer pattern means to a person at the door, by the firmware's tune names. */
export const SOUND_LABELS: { [sound: string]: string } = {
    key: "key beep",
    success: "opened (three rising notes)",
    failure: "wrong code (two falling notes)",
    lockout: "locked out (four low notes)",
    locked: "locked (two falling high notes)",
    step: "setup step (two quick high notes)",
    timeout: "entry cleared",
    jammed: "latch jammed (four falling notes)",
    menu: "menu (three rising quick notes)",
    exit: "menu closed (two falling notes)",
    reset: "factory reset (three long falling notes)",
}

/** Names the pattern that a tone starts, from the firmware's own tone table; undefined mid-tune. */
export function patternOfTone(hz: number): { sound: string; label: string } | undefined {
    const sound = soundOfTone(hz)
    if (!sound) return undefined
    return { sound, label: SOUND_LABELS[sound] ?? sound }
}

/** "0:27", "4:05", "1:02:03", "3 d 04:00:00" (rounded up to whole seconds; never negative). */
export function formatCountdown(ms: number): string {
    const total = Math.max(0, Math.ceil(ms / 1000))
    const d = Math.floor(total / 86400)
    const h = Math.floor((total % 86400) / 3600)
    const m = Math.floor((total % 3600) / 60)
    const s = total % 60
    const two = (n: number) => (n < 10 ? "0" : "") + n
    if (d > 0) return `${d} d ${two(h)}:${two(m)}:${two(s)}`
    if (h > 0) return `${h}:${two(m)}:${two(s)}`
    return `${m}:${two(s)}`
}

/**
 * A register that counts down (e.g. the lockout's remaining time), shown live between readings:
 * the last reading minus the time since it arrived. The lock's own reading always wins.
 */
export function remainingNow(readingMs: number, readAt: number, now: number): number {
    return Math.max(0, readingMs - Math.max(0, now - readAt))
}

/** The Network panel's badge: its text and its colour (a badge class of style.css). */
export function linkBadge(net: NetStatus): { text: string; cls: "running" | "booting" | "crashed" | "off" } {
    if (net.broker === null) return { text: "no broker (--no-broker)", cls: "off" }
    switch (net.link) {
        case "connected":
            return { text: "connected", cls: "running" }
        case "reconnecting":
            return { text: "reconnecting…", cls: "booting" }
        case "offline":
            return { text: "offline", cls: "crashed" }
        case "starting":
            return { text: "dialling…", cls: "booting" }
        default:
            return { text: "link off (VM not running)", cls: "off" }
    }
}

/**
 * The buzzer's vocabulary: one short tune per core `Sound`. Pure data, shared by the firmware
 * (which plays it) and the simulator/tests (which name what they hear). Every note of every tune
 * has a frequency of its own, so a listener knows a tune from its first tone.
 */

/** One note: frequency in Hz, duration in ms (silence of `gapMs` follows). */
export interface Note {
    hz: number
    ms: number
}

/** Silence between notes of one tune, in ms. */
export const NOTE_GAP_MS = 30

/**
 * Tunes by core Sound name; `jammed` is LockJammed (the latch sensor did not confirm a move, see
 * src/core/latch.ts). Parsed from JSON text because DeviceScript compiles an object literal into
 * function code (counted against the image's 64 KB of it) and keeps a string outside that limit.
 */
export const TUNES: { [sound: string]: Note[] } = JSON.parse(`{
    "key": [{ "hz": 2400, "ms": 40 }],
    "success": [{ "hz": 1047, "ms": 90 }, { "hz": 1319, "ms": 90 }, { "hz": 1568, "ms": 160 }],
    "failure": [{ "hz": 330, "ms": 250 }, { "hz": 262, "ms": 350 }],
    "lockout": [{ "hz": 220, "ms": 120 }, { "hz": 208, "ms": 120 }, { "hz": 196, "ms": 120 }, { "hz": 185, "ms": 400 }],
    "locked": [{ "hz": 1480, "ms": 80 }, { "hz": 988, "ms": 140 }],
    "step": [{ "hz": 1760, "ms": 60 }, { "hz": 1865, "ms": 60 }],
    "timeout": [{ "hz": 880, "ms": 120 }],
    "jammed": [{ "hz": 622, "ms": 150 }, { "hz": 554, "ms": 150 }, { "hz": 494, "ms": 150 }, { "hz": 415, "ms": 300 }],
    "menu": [{ "hz": 1175, "ms": 70 }, { "hz": 1397, "ms": 70 }, { "hz": 1661, "ms": 90 }],
    "exit": [{ "hz": 698, "ms": 90 }, { "hz": 523, "ms": 160 }],
    "reset": [{ "hz": 440, "ms": 300 }, { "hz": 370, "ms": 300 }, { "hz": 294, "ms": 600 }]
}`)

/** The sound whose tune STARTS with a tone of about `hz` (±2 %), or null (not a first note). */
export function soundOfTone(hz: number): string | null {
    const names = Object.keys(TUNES)
    for (let i = 0; i < names.length; i++) {
        const first = TUNES[names[i]][0].hz
        if (Math.abs(first - hz) <= first * 0.02) return names[i]
    }
    return null
}

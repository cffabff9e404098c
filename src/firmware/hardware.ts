/**
 * The lock's peripherals as standard Jacdac roles. On the board they are served by on-board
 * drivers; in the simulator and tests by jacdac-ts servers on the same bus. The lock logic sees
 * no difference. Their names (./board.g.ts ROLE_NAMES) bind them, on a board, to the board's own
 * services only, and the bus guard (./bus-guard.ts) drops whatever another device sends them.
 */
import * as ds from "@devicescript/core"
import { LockPart } from "../core/index"
import { ROLE_NAMES } from "./board.g"
import { guardPart } from "./bus-guard"
import { Note, NOTE_GAP_MS, TUNES } from "./tones"

/** Keypad (4x3 matrix), latch servo, buzzer and the inside program button. */
export const keypad = new ds.MatrixKeypad(ROLE_NAMES.keypad)
export const latch = new ds.Servo(ROLE_NAMES.latch)
export const buzzer = new ds.Buzzer(ROLE_NAMES.buzzer)
export const programButton = new ds.Button(ROLE_NAMES.program)
guardPart(keypad, LockPart.Keypad)
guardPart(latch, LockPart.Latch)
guardPart(buzzer, LockPart.Buzzer)
guardPart(programButton, LockPart.Program)

let latchAngle = 0
let latchEnabled = false
let latchWatcher: (angle: number) => Promise<void> = null

/** Lets one watcher (the jammed-latch monitor) see every angle the latch is commanded to. */
export function watchLatch(watcher: (angle: number) => Promise<void>) {
    latchWatcher = watcher
}

/**
 * Drives the latch servo to `angle` (remembered, to re-drive it after the servo re-binds).
 * The angle goes first: enabling a servo is a register write that costs a round trip, so it is
 * done once per binding, not on every move.
 */
export async function driveLatch(angle: number) {
    await setLatchAngle(angle)
    if (latchWatcher) await latchWatcher(angle)
}

/**
 * Drives the latch without telling the watcher: the monitor's own re-drives (a retry, the
 * fail-secure move back to locked). Remembered like any other move, so a servo that re-binds is
 * sent where the latch was last driven.
 */
export async function setLatchAngle(angle: number) {
    latchAngle = angle
    await latch.angle.write(angle)
    if (!latchEnabled) {
        latchEnabled = true
        await latch.enabled.write(true)
    }
}

/** Whenever the servo (re)appears on the bus it is driven to the last commanded angle. */
export function keepLatchDriven() {
    latch.binding().subscribe(async bound => {
        latchEnabled = false
        if (bound) await driveLatch(latchAngle)
    })
}

/** Bumped by every sound: a tune whose number is no longer this one stops before its next note. */
let tuneNumber = 0

async function playNote(n: Note) {
    await buzzer.playTone(Math.round(1000000 / n.hz), Math.round(500000 / n.hz), n.ms)
}

/** The notes of `notes` after the first, in the background, until a newer sound starts. */
async function playRest(notes: Note[], number: number) {
    for (let i = 1; i < notes.length; i++) {
        await ds.sleep(notes[i - 1].ms + NOTE_GAP_MS)
        if (number !== tuneNumber) return
        await playNote(notes[i])
    }
}

/**
 * Plays a sound's tune and cuts short the one playing. Its first note goes to the buzzer before
 * this returns: awaited in the lock's effect order, a refused code's tune starts where an opening
 * code's latch moves (the first effect of both after the check), before the audit entry, its
 * event and the console line.
 * The other notes follow in the background.
 */
export async function playSound(sound: string) {
    const notes = TUNES[sound]
    if (!notes) return
    tuneNumber++
    const number = tuneNumber
    if (sound === "key") {
        // a key's click never holds the keypad up: it goes in the background, and a storm of
        // keys plays the clicks the buzzer takes (awaited, 150 keys in a row left the lock
        // seconds behind the keypad on a busy machine)
        clickWanted = true
        if (!clicking) {
            clicking = true
            playClicks.start()
        }
        return
    }
    await playNote(notes[0])
    if (notes.length > 1) playRest.start(notes, number)
}

let clickWanted = false
let clicking = false

/** Plays key clicks until none is wanted: one click for any number asked while one played. */
async function playClicks() {
    while (clickWanted) {
        clickWanted = false
        await playNote(TUNES["key"][0])
    }
    clicking = false
}

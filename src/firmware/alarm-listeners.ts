/**
 * Who else hears the lock's alarms (the network link, when the firmware is built with one). The
 * lock's queue calls `announceAlarm` as it applies an alarm effect: a listener must return at once
 * and never wait (no flash, no network: it notes the alarm and lets its own fiber publish it), so
 * the keypad and the latch never wait on anyone listening.
 */
const listeners: ((name: string) => void)[] = []

/** Adds a listener; it is called with each alarm's name (Matter DoorLockAlarm names). */
export function listenToAlarms(listener: (name: string) => void) {
    listeners.push(listener)
}

/** Tells every listener of alarm `name`. */
export function announceAlarm(name: string) {
    for (const l of listeners) l(name)
}

/** Operating modes (Matter Door Lock OperatingModeEnum). Persisted; Normal after a reset. */
export enum OperatingMode {
    /** Every enabled user, within its schedule. */
    Normal = 0,
    /** The keypad opens only for the Programming user (the master code). */
    Vacation = 1,
    /** While the latch is locked, the keypad opens for no one (the menu stays reachable). */
    Privacy = 2,
    /** Remote lock and unlock are refused; the keypad works as in Normal. */
    NoRemoteLockUnlock = 3,
    /** The latch stays open: no auto-relock, no long-press lock. */
    Passage = 4,
}

const MODE_NAMES = ["Normal", "Vacation", "Privacy", "NoRemoteLockUnlock", "Passage"]

/** Number of operating modes (valid modes are 0 .. MODE_COUNT - 1). */
export const MODE_COUNT = 5

export function modeName(mode: number): string {
    return mode >= 0 && mode < MODE_COUNT ? MODE_NAMES[mode] : "Unknown"
}

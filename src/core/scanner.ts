/**
 * The keypad matrix scanner, pure: drive one row at a time, read the columns, debounce each
 * contact, refuse samples that may hold ghost keys, mask a stuck key, and report what a Jacdac
 * MatrixKeypad reports (down, up, then click or longClick with the up).
 *
 * No pins and no clock here: the firmware hands in a {@link MatrixIo} over its GPIOs and the
 * time of each scan; the tests hand in a fake pin matrix and a made-up time.
 */

/** The electrical side of a keypad matrix (columns pulled up, one row driven low at a time). */
export interface MatrixIo {
    /** Selects (drives low) or releases (lets float) row `row`. */
    driveRow(row: number, selected: boolean): void
    /** True when column `col` reads low: some closed contact joins it to the selected row. */
    readColumn(col: number): boolean
}

/** Scanner settings. Keys are numbered row by row: `key = row * columns + column`. */
export interface ScannerConfig {
    rows: number
    columns: number
    /** A contact must read the same for this long before a change is believed (20-50 ms). */
    debounceMs: number
    /** A press longer than this ends with longClick instead of click (Jacdac: 500 ms). */
    longClickMs: number
    /** A key down for this long is reported stuck and ignored until it is seen released. */
    stuckMs: number
}

/** Default timings: 30 ms debounce, Jacdac's 500 ms click/longClick limit, 20 s stuck-key limit. */
export const DEFAULT_SCANNER_TIMING = { debounceMs: 30, longClickMs: 500, stuckMs: 20000 }

/** What the scanner reports; `key` is the key index. */
export interface ScanEvent {
    type: "down" | "up" | "click" | "longClick" | "stuck"
    key: number
}

/** Scanner state: per key the raw reading, when it last changed, and the believed state. */
export interface ScannerState {
    cfg: ScannerConfig
    raw: boolean[]
    changedAt: number[]
    down: boolean[]
    downAt: number[]
    /** Stuck keys: ignored until they read released for a full debounce time. */
    masked: boolean[]
    /** True while the latest sample was ambiguous (possible ghost keys) and was thrown away. */
    ambiguous: boolean
}

/** A scanner with every key up, started at `now`. */
export function createScanner(cfg: ScannerConfig, now: number): ScannerState {
    const n = cfg.rows * cfg.columns
    const s: ScannerState = {
        cfg,
        raw: [],
        changedAt: [],
        down: [],
        downAt: [],
        masked: [],
        ambiguous: false,
    }
    for (let i = 0; i < n; i++) {
        s.raw.push(false)
        s.changedAt.push(now)
        s.down.push(false)
        s.downAt.push(now)
        s.masked.push(false)
    }
    return s
}

/**
 * Reads the whole matrix once: each row in turn is selected, every column read, and the row
 * released again before the next one (so two rows are never driven together).
 */
export function readMatrix(io: MatrixIo, rows: number, columns: number): boolean[] {
    const sample: boolean[] = []
    for (let r = 0; r < rows; r++) {
        io.driveRow(r, true)
        for (let c = 0; c < columns; c++) sample.push(io.readColumn(c))
        io.driveRow(r, false)
    }
    return sample
}

/**
 * True when the sample may contain ghost keys: without diodes, three closed keys on the corners
 * of a rectangle make the fourth corner read closed too. Any closed key that shares its row with
 * another closed key AND its column with another closed key is such a corner, so the sample
 * cannot be trusted.
 */
export function mayHaveGhosts(sample: boolean[], rows: number, columns: number): boolean {
    for (let r = 0; r < rows; r++) {
        for (let c = 0; c < columns; c++) {
            if (!sample[r * columns + c]) continue
            let rowMate = false
            let colMate = false
            for (let c2 = 0; c2 < columns; c2++) if (c2 !== c && sample[r * columns + c2]) rowMate = true
            for (let r2 = 0; r2 < rows; r2++) if (r2 !== r && sample[r2 * columns + c]) colMate = true
            if (rowMate && colMate) return true
        }
    }
    return false
}

/**
 * Feeds one sample (from {@link readMatrix}) taken at `now`; returns the events it causes, in
 * order. An ambiguous sample is dropped whole: no key changes on it, and the debounce of every
 * key starts again from the next clean sample.
 */
export function scanStep(s: ScannerState, sample: boolean[], now: number): ScanEvent[] {
    const out: ScanEvent[] = []
    const cfg = s.cfg
    if (mayHaveGhosts(sample, cfg.rows, cfg.columns)) {
        if (!s.ambiguous) for (let k = 0; k < s.raw.length; k++) s.changedAt[k] = now
        s.ambiguous = true
        return out
    }
    if (s.ambiguous) {
        // nothing seen during the ambiguous stretch counts towards a debounce
        s.ambiguous = false
        for (let k = 0; k < s.raw.length; k++) s.changedAt[k] = now
    }
    for (let k = 0; k < s.raw.length; k++) {
        const closed = !!sample[k]
        if (closed !== s.raw[k]) {
            s.raw[k] = closed
            s.changedAt[k] = now
        }
        const settled = now - s.changedAt[k] >= cfg.debounceMs
        if (s.masked[k]) {
            if (!s.raw[k] && settled) s.masked[k] = false
            continue
        }
        if (settled && s.raw[k] !== s.down[k]) {
            s.down[k] = s.raw[k]
            if (s.down[k]) {
                s.downAt[k] = now
                out.push({ type: "down", key: k })
            } else {
                out.push({ type: "up", key: k })
                out.push({ type: now - s.downAt[k] > cfg.longClickMs ? "longClick" : "click", key: k })
            }
        } else if (s.down[k] && now - s.downAt[k] >= cfg.stuckMs) {
            s.masked[k] = true
            s.down[k] = false
            out.push({ type: "stuck", key: k })
            out.push({ type: "up", key: k })
        }
    }
    return out
}

/** Keys believed down right now (stuck keys excluded), as a MatrixKeypad `reading` lists them. */
export function pressedKeys(s: ScannerState): number[] {
    const out: number[] = []
    for (let k = 0; k < s.down.length; k++) if (s.down[k]) out.push(k)
    return out
}

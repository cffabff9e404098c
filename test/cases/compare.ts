/**
 * How the cases turn what the core returns into strings to compare (check.eq takes strings), and
 * the byte helpers they share. The DeviceScript subset: Buffers, no Array.prototype tricks.
 */
import { Bytes } from "../../src/core/index"

/** A value as the cases compare it: numbers as written, booleans and null by name. */
export function str(v: number | boolean | string | null | undefined): string {
    if (v === null || v === undefined) return "null"
    if (v === true) return "true"
    if (v === false) return "false"
    return "" + v
}

/** The strings as one, comma separated (how lists of effects are compared). */
export function list(items: string[]): string {
    return items.join(", ")
}

/** The last `n` items, comma separated. */
export function tail(items: string[], n: number): string {
    return items.slice(Math.max(0, items.length - n)).join(", ")
}

/** The last item, or "" when there is none. */
export function lastOf(items: string[]): string {
    return items.length > 0 ? items[items.length - 1] : ""
}

/** Whether `items` holds `item`, as "yes" or "no". */
export function has(items: string[], item: string): string {
    return items.indexOf(item) >= 0 ? "yes" : "no"
}

/** Whether `text` contains `part`, as "yes" or "no". */
export function contains(text: string, part: string): string {
    return text.indexOf(part) >= 0 ? "yes" : "no"
}

/** `text` with every `from` replaced by `to`. */
export function swap(text: string, from: string, to: string): string {
    let out = ""
    let rest = text
    for (let i = rest.indexOf(from); i >= 0; i = rest.indexOf(from)) {
        out = out + rest.slice(0, i) + to
        rest = rest.slice(i + from.length)
    }
    return out + rest
}

/** `s` written `n` times. */
export function repeat(s: string, n: number): string {
    let out = ""
    for (let i = 0; i < n; i++) out = out + s
    return out
}

/** Bytes as decimal numbers, "[1,2,3]" (how JSON shows a byte array). */
export function bytesText(b: Bytes | null): string {
    if (b === null || b === undefined) return "null"
    const parts: string[] = []
    for (let i = 0; i < b.length; i++) parts.push("" + b[i])
    return "[" + parts.join(",") + "]"
}

/** Bytes as lowercase hexadecimal. */
export function hex(b: Bytes): string {
    const digits = "0123456789abcdef"
    let out = ""
    for (let i = 0; i < b.length; i++) out = out + digits.charAt(b[i] >> 4) + digits.charAt(b[i] & 15)
    return out
}

/** A fresh copy of some bytes (a Buffer in both runtimes). */
export function copyBytes(b: Bytes): Bytes {
    const out = Buffer.alloc(b.length)
    for (let i = 0; i < b.length; i++) out[i] = b[i]
    return out
}

/** Bytes from a list of numbers. */
export function bytesOf(values: number[]): Bytes {
    const out = Buffer.alloc(values.length)
    for (let i = 0; i < values.length; i++) out[i] = values[i]
    return out
}

/** Bytes `from` (included) to `to` (excluded) of `b`, as a fresh copy. */
export function sliceBytes(b: Bytes, from: number, to: number): Bytes {
    const out = Buffer.alloc(to - from)
    for (let i = from; i < to; i++) out[i - from] = b[i]
    return out
}

/** Whether the byte sequence `part` occurs anywhere in `b`, as "yes" or "no". */
export function holdsBytes(b: Bytes, part: Bytes): string {
    for (let i = 0; i + part.length <= b.length; i++) {
        let same = true
        for (let j = 0; j < part.length && same; j++) if (b[i + j] !== part[j]) same = false
        if (same) return "yes"
    }
    return "no"
}

/** Text from character codes. */
export function textOf(b: Bytes | null): string {
    if (b === null || b === undefined) return ""
    let out = ""
    for (let i = 0; i < b.length; i++) out = out + String.fromCharCode(b[i])
    return out
}

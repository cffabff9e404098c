/**
 * Reads a compiled DeviceScript image (.devs) for the one limit that bites first as the firmware
 * grows: the runtime's verifier refuses an image whose function code (header, function
 * descriptors, float literals and function bytecode, i.e. the end of its functions_data section)
 * reaches 64 KB ("verification error: -1051" from `devs build`). Strings and the rest of the image
 * come after and do not count.
 */

/** Function code must end below this offset (the verifier's 16-bit code offsets). */
export const FUNCTION_CODE_LIMIT = 0x10000

/** The image header is 32 bytes, then one 8-byte {start, length} entry per section. */
const SECTIONS_AT = 32
/** Section order: functions (descriptors), functions_data (bytecode), ... */
const FUNCTIONS_DATA = 1

/** Where the function code of a .devs image ends, in bytes from the image's start. */
export function functionCodeEnd(image: Uint8Array): number {
    const at = SECTIONS_AT + FUNCTIONS_DATA * 8
    if (image.length < at + 8) throw new Error(`not a DeviceScript image (${image.length} bytes)`)
    const view = new DataView(image.buffer, image.byteOffset, image.byteLength)
    return view.getUint32(at, true) + view.getUint32(at + 4, true)
}

/** One line for the build's log: where the function code ends and what is left below the limit. */
export function functionCodeReport(name: string, end: number): string {
    const spare = FUNCTION_CODE_LIMIT - end
    return spare > 0
        ? `${name}: function code ends at ${end} B, ${spare} B spare below DeviceScript's 64 KB`
        : `${name}: function code ends at ${end} B; DeviceScript refuses 64 KB (${FUNCTION_CODE_LIMIT} B) or more: ` +
              `${-spare + 1} B too many. Every function the firmware reaches and every object or array literal ` +
              `costs function code; strings do not (see \`devs build --stats\`)`
}

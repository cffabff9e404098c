/**
 * TEST firmware only (src/main-test.ts): answers every request on the link with its own bytes in
 * reverse order, so tests can see a request cross the broker into the firmware and an answer come
 * back, byte for byte, without the companion protocol. Never in the shipping firmware.
 */
export async function reverseRequest(payload: Buffer): Promise<Buffer> {
    const out = Buffer.alloc(payload.length)
    for (let i = 0; i < payload.length; i++) out[i] = payload[payload.length - 1 - i]
    return out
}

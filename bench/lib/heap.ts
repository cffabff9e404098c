/**
 * Reads the DeviceScript VM's GC heap straight from the WASM memory of an in-process VM.
 *
 * The VM exposes no heap statistics (only a dump on OutOfMemory, runtime/devicescript/gc_alloc.c
 * devs_dump_heap). Its heap is one chunk allocated right after the devs_gc_t struct
 * {first_free, first_chunk, num_alloc, gc_threshold, curr_alloc, ctx}; the chunk is
 * {next, end, blocks...}, every block starts with a header word (size in words in the low
 * 24 bits, tag in the high 8; tag 1 = free) and the chunk ends with a FINAL block (tag 0x4f).
 * With the VM's GC-stress flag on (devsGcStress: a full collection before EVERY allocation),
 * the bytes in non-free blocks at any moment are the live data plus at most the newest block.
 */

export interface GcLocation {
    gc: number
    start: number
    end: number
}

export interface HeapUse {
    used: number
    free: number
    total: number
    objects: number
}

const TAG_FREE = 1
const TAG_FINAL = 0x4f

/** Finds the GC heap chunk in the VM's memory, or null. */
export function findGcHeap(mem: Uint8Array): GcLocation | null {
    const m32 = new Uint32Array(mem.buffer, 0, mem.length >> 2)
    for (let i = 0; i + 8 < m32.length; i++) {
        const chunk = m32[i + 1]
        if (chunk !== i * 4 + 24) continue
        const c = chunk >> 2
        if (m32[c] !== 0) continue
        const end = m32[c + 1]
        if (end <= chunk || end >= mem.length || end & 3) continue
        if (m32[end >> 2] >>> 24 !== TAG_FINAL) continue
        return { gc: i * 4, start: chunk + 8, end }
    }
    return null
}

/** Walks the heap's blocks; throws if the structure does not parse (then nothing is claimed). */
export function heapUse(mem: Uint8Array, at: GcLocation): HeapUse {
    const m32 = new Uint32Array(mem.buffer, 0, mem.length >> 2)
    let p = at.start
    let used = 0
    let free = 0
    let objects = 0
    while (p < at.end) {
        const h = m32[p >> 2]
        const words = h & 0xffffff
        if (words === 0) throw new Error(`heap walk: empty block at ${p}`)
        if (((h >>> 24) & 0xf) === TAG_FREE) free += words * 4
        else {
            used += words * 4
            objects++
        }
        p += words * 4
    }
    if (p !== at.end) throw new Error("heap walk: blocks overrun the chunk")
    return { used, free, total: at.end - at.start, objects }
}

/** Samples a VM module's heap use; keeps the peak. */
export class HeapProbe {
    peak = 0
    samples = 0
    total = 0
    private at: GcLocation | null = null
    constructor(private readonly mod: { HEAPU8: Uint8Array }) {}
    sample(): number {
        const mem = this.mod.HEAPU8
        if (!this.at) this.at = findGcHeap(mem)
        if (!this.at) return -1
        const u = heapUse(mem, this.at)
        this.samples++
        this.total = u.total
        if (u.used > this.peak) this.peak = u.used
        return u.used
    }
    /**
     * Samples synchronously inside the VM's own callbacks (frames out, console, flash writes), i.e.
     * in the middle of its time slices too, not only between them.
     */
    hook(mod: any) {
        for (const name of ["sendPacket", "dmesg", "flashSave"]) {
            const orig = mod[name]
            if (typeof orig !== "function") continue
            mod[name] = (...args: unknown[]) => {
                try {
                    this.sample()
                } catch {
                    // a heap caught mid-update does not parse: skip this sample
                }
                return orig.apply(mod, args)
            }
        }
    }
}

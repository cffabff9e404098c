/**
 * Tiny SVG charts for the benchmark results: line charts (linear or log x) and histograms.
 * No dependencies, no network; the output is a standalone .svg file.
 */
import { writeFileSync } from "node:fs"

export interface Series {
    name: string
    points: [number, number][]
    dashed?: boolean
    color?: string
    /** Draw as steps (value holds until the next point). */
    step?: boolean
}

export interface Axis {
    label: string
    log?: boolean
    min?: number
    max?: number
    /** Tick positions with labels; computed when omitted. */
    ticks?: [number, string][]
}

const W = 760
const H = 440
const M = { left: 70, right: 200, top: 40, bottom: 56 }
const COLORS = ["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#17becf"]

function esc(s: string): string {
    return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
}

function fmt(v: number): string {
    if (v === 0) return "0"
    const a = Math.abs(v)
    if (a >= 1e4 || a < 1e-2) return v.toExponential(0)
    return String(Math.round(v * 100) / 100)
}

function autoTicks(min: number, max: number, log: boolean): [number, string][] {
    if (log) {
        const out: [number, string][] = []
        for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
            const v = 10 ** e
            if (v >= min && v <= max) out.push([v, fmt(v)])
        }
        return out
    }
    const span = max - min || 1
    const step0 = 10 ** Math.floor(Math.log10(span / 5))
    const step = [1, 2, 5, 10].map(m => m * step0).find(s => span / s <= 6) ?? step0 * 10
    const out: [number, string][] = []
    for (let v = Math.ceil(min / step) * step; v <= max + 1e-9; v += step) out.push([v, fmt(Math.round(v / step) * step)])
    return out
}

class Frame {
    readonly parts: string[] = []
    constructor(readonly x: Axis & { min: number; max: number }, readonly y: Axis & { min: number; max: number }) {}
    px(v: number): number {
        const { min, max, log } = this.x
        const f = log ? (Math.log10(v) - Math.log10(min)) / (Math.log10(max) - Math.log10(min)) : (v - min) / (max - min)
        return M.left + f * (W - M.left - M.right)
    }
    py(v: number): number {
        const { min, max, log } = this.y
        const f = log ? (Math.log10(v) - Math.log10(min)) / (Math.log10(max) - Math.log10(min)) : (v - min) / (max - min)
        return H - M.bottom - f * (H - M.top - M.bottom)
    }
    axes(title: string, subtitle?: string) {
        const p = this.parts
        const x0 = M.left, x1 = W - M.right, y0 = H - M.bottom, y1 = M.top
        p.push(`<text x="${x0}" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`)
        if (subtitle) p.push(`<text x="${x0}" y="${H - 8}" font-size="10" fill="#555">${esc(subtitle)}</text>`)
        for (const [v, label] of this.x.ticks ?? autoTicks(this.x.min, this.x.max, !!this.x.log)) {
            const x = this.px(v)
            p.push(`<line x1="${x}" y1="${y0}" x2="${x}" y2="${y1}" stroke="#e4e4e4"/>`)
            p.push(`<text x="${x}" y="${y0 + 16}" font-size="11" text-anchor="middle">${esc(label)}</text>`)
        }
        for (const [v, label] of this.y.ticks ?? autoTicks(this.y.min, this.y.max, !!this.y.log)) {
            const y = this.py(v)
            p.push(`<line x1="${x0}" y1="${y}" x2="${x1}" y2="${y}" stroke="#e4e4e4"/>`)
            p.push(`<text x="${x0 - 6}" y="${y + 4}" font-size="11" text-anchor="end">${esc(label)}</text>`)
        }
        p.push(`<rect x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}" fill="none" stroke="#333"/>`)
        p.push(`<text x="${(x0 + x1) / 2}" y="${y0 + 36}" font-size="12" text-anchor="middle">${esc(this.x.label)}</text>`)
        p.push(`<text x="16" y="${(y0 + y1) / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 16 ${(y0 + y1) / 2})">${esc(this.y.label)}</text>`)
    }
    svg(): string {
        return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${this.parts.join("\n")}\n</svg>\n`
    }
}

function range(vals: number[], log: boolean, fixedMin?: number, fixedMax?: number) {
    const ok = vals.filter(v => isFinite(v) && (!log || v > 0))
    let min = fixedMin ?? Math.min(...ok)
    let max = fixedMax ?? Math.max(...ok)
    if (min === max) max = min + 1
    return { min, max }
}

/** A line chart; points outside the axis range are clipped. Returns the SVG text. */
export function lineChart(title: string, xAxis: Axis, yAxis: Axis, series: Series[], subtitle?: string): string {
    const xs = series.flatMap(s => s.points.map(p => p[0]))
    const ys = series.flatMap(s => s.points.map(p => p[1]))
    const f = new Frame(
        { ...xAxis, ...range(xs, !!xAxis.log, xAxis.min, xAxis.max) },
        { ...yAxis, ...range(ys, !!yAxis.log, yAxis.min, yAxis.max) },
    )
    f.axes(title, subtitle)
    series.forEach((s, i) => {
        const color = s.color ?? COLORS[i % COLORS.length]
        const pts: string[] = []
        let prevY: number | undefined
        for (const [x, y] of s.points) {
            if (x < f.x.min || x > f.x.max || !isFinite(y) || (f.y.log && y <= 0)) continue
            const cy = Math.max(M.top, Math.min(H - M.bottom, f.py(Math.min(Math.max(y, f.y.min), f.y.max))))
            if (s.step && prevY !== undefined) pts.push(`${f.px(x).toFixed(1)},${prevY.toFixed(1)}`)
            pts.push(`${f.px(x).toFixed(1)},${cy.toFixed(1)}`)
            prevY = cy
        }
        if (pts.length)
            f.parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ""} points="${pts.join(" ")}"/>`)
        const ly = M.top + 14 + i * 18
        const lx = W - M.right + 12
        f.parts.push(`<line x1="${lx}" y1="${ly - 4}" x2="${lx + 22}" y2="${ly - 4}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ""}/>`)
        f.parts.push(`<text x="${lx + 28}" y="${ly}" font-size="11">${esc(s.name)}</text>`)
    })
    return f.svg()
}

/** A histogram of `values` in `bins` equal bins, with optional marker lines (e.g. p50, p99, goal). */
export function histogram(title: string, xLabel: string, values: number[], bins: number, markers: { at: number; label: string; color?: string }[] = [], subtitle?: string): string {
    const min = Math.min(...values, ...markers.map(m => m.at))
    const max = Math.max(...values, ...markers.map(m => m.at))
    const lo = Math.floor(min)
    const hi = Math.max(lo + 1, Math.ceil(max * 1.02))
    const width = (hi - lo) / bins
    const counts = new Array(bins).fill(0)
    for (const v of values) counts[Math.min(bins - 1, Math.floor((v - lo) / width))]++
    const f = new Frame({ label: xLabel, min: lo, max: hi }, { label: "unlocks", min: 0, max: Math.max(...counts) * 1.1 })
    f.axes(title, subtitle)
    counts.forEach((c, i) => {
        if (!c) return
        const x0 = f.px(lo + i * width), x1 = f.px(lo + (i + 1) * width)
        f.parts.push(`<rect x="${x0.toFixed(1)}" y="${f.py(c).toFixed(1)}" width="${Math.max(0.5, x1 - x0 - 0.5).toFixed(1)}" height="${(f.py(0) - f.py(c)).toFixed(1)}" fill="#1f77b4"/>`)
    })
    markers.forEach((m, i) => {
        const x = f.px(m.at)
        const color = m.color ?? COLORS[(i + 2) % COLORS.length]
        f.parts.push(`<line x1="${x}" y1="${M.top}" x2="${x}" y2="${H - M.bottom}" stroke="${color}" stroke-width="2" stroke-dasharray="5 3"/>`)
        f.parts.push(`<text x="${W - M.right + 12}" y="${M.top + 14 + i * 18}" font-size="11" fill="${color}">${esc(m.label)}</text>`)
    })
    return f.svg()
}

/** Horizontal bars, e.g. |t| per test with a threshold line. */
export function barChart(title: string, xLabel: string, bars: { label: string; value: number; color?: string }[], lines: { at: number; label: string }[] = [], subtitle?: string): string {
    const rowH = 22
    const h = M.top + M.bottom + bars.length * rowH + 10
    const left = 230
    const w = W
    const max = Math.max(...bars.map(b => b.value), ...lines.map(l => l.at)) * 1.1 || 1
    const log = max > 200
    const x = (v: number) => left + (log ? Math.log10(1 + v) / Math.log10(1 + max) : v / max) * (w - left - 40)
    const parts: string[] = []
    parts.push(`<text x="20" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`)
    bars.forEach((b, i) => {
        const y = M.top + i * rowH
        parts.push(`<text x="${left - 6}" y="${y + 15}" font-size="11" text-anchor="end">${esc(b.label)}</text>`)
        parts.push(`<rect x="${left}" y="${y + 4}" width="${Math.max(1, x(b.value) - left).toFixed(1)}" height="${rowH - 8}" fill="${b.color ?? "#1f77b4"}"/>`)
        parts.push(`<text x="${x(b.value) + 4}" y="${y + 15}" font-size="10">${fmt(b.value)}</text>`)
    })
    const y1 = M.top + bars.length * rowH
    lines.forEach((l, i) => {
        parts.push(`<line x1="${x(l.at)}" y1="${M.top}" x2="${x(l.at)}" y2="${y1}" stroke="#d62728" stroke-dasharray="5 3"/>`)
        parts.push(`<text x="${x(l.at) + 3}" y="${y1 + 12 + i * 12}" font-size="10" fill="#d62728">${esc(l.label)}</text>`)
    })
    parts.push(`<text x="${left}" y="${y1 + 24 + lines.length * 12}" font-size="12">${esc(xLabel)}${log ? " (log scale)" : ""}</text>`)
    if (subtitle) parts.push(`<text x="20" y="${h - 8}" font-size="10" fill="#555">${esc(subtitle)}</text>`)
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${parts.join("\n")}\n</svg>\n`
}

export function writeSvg(path: string, svg: string) {
    writeFileSync(path, svg)
}
